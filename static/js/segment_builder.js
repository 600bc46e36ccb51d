// Segment builder: keeps a live count of the customers a definition matches while it is edited.
// Reads the builder rows (field, op, key, value) and the all/any switch, POSTs {"definition": ...}
// as JSON to the form's data-preview-url, and shows the count or the errors (textContent only).
(function () {
  "use strict";

  function definitionOf(form) {
    var conditions = [];
    form.querySelectorAll("[data-segment-row]").forEach(function (row) {
      var field = row.querySelector("[name=field]").value;
      if (!field) { return; }
      var condition = {
        field: field,
        op: row.querySelector("[name=op]").value,
        value: row.querySelector("[name=value]").value
      };
      if (field === "attribute") { condition.key = row.querySelector("[name=key]").value; }
      if (field === "survey_answer") { condition.question = row.querySelector("[name=key]").value; }
      conditions.push(condition);
    });
    var match = form.querySelector("[name=match]").value === "any" ? "any" : "all";
    var definition = {};
    definition[match] = conditions;
    return definition;
  }

  function showErrors(list, messages) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
  }

  function setup(form) {
    var output = form.querySelector("[data-segment-count]");
    var errors = form.querySelector("[data-segment-errors]");
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    var timer = null;
    var sequence = 0;

    function refresh() {
      var mine = ++sequence;
      fetch(form.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
        body: JSON.stringify({definition: definitionOf(form)})
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (mine !== sequence) { return; }  // a newer request is on its way
          if (response.ok && typeof body.count === "number") {
            output.textContent = body.count.toLocaleString();
            showErrors(errors, []);
            return;
          }
          output.textContent = "—";
          var error = body.error || {};
          var messages = (error.fields && error.fields.definition) || [error.message || "Could not count."];
          showErrors(errors, messages.map(String));
        });
      }).catch(function () {
        if (mine === sequence) { output.textContent = "—"; showErrors(errors, ["Could not reach the server."]); }
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 350);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);

    var add = form.querySelector("[data-segment-add]");
    if (add) {
      add.addEventListener("click", function () {
        var rows = form.querySelectorAll("[data-segment-row]");
        var last = rows[rows.length - 1];
        var copy = last.cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
        last.parentNode.appendChild(copy);
        copy.querySelector("select").focus();
      });
    }

    if (definitionOf(form)[form.querySelector("[name=match]").value === "any" ? "any" : "all"].length) {
      refresh();
    }
  }

  document.querySelectorAll("form[data-segment-builder]").forEach(setup);
})();

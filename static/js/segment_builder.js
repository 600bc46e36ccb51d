// Segment builder: conditions by name, only the operators that fit, and a live preview.
// - The catalog (#segment-catalog, from crm.segments.conditions) says per field which operators fit, which
//   picker chooses its value (stores, reps, groups, tags) or its key (attributes, survey questions) and how
//   the value is typed. A picker searches its JSON endpoint (form's data-pick-url) as you type; choosing a
//   result puts its id in the hidden input the form posts and its name on screen.
// - The definition (rows of field, op, key, value and the all/any switch) is POSTed as JSON to the form's
//   data-preview-url, debounced; the count and the first matching names are shown (textContent only).
(function () {
  "use strict";

  var catalogNode = document.getElementById("segment-catalog");
  var catalog = catalogNode ? JSON.parse(catalogNode.textContent) : {};

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

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function showErrors(list, messages) {
    clear(list);
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
  }

  // --- one row: operators, pickers and the value input follow the chosen field ------------------------

  function setOps(row, ops) {
    var select = row.querySelector("[name=op]");
    var current = select.value;
    clear(select);
    ops.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      select.appendChild(option);
    });
    if (ops.some(function (pair) { return pair[0] === current; })) { select.value = current; }
  }

  function opsOf(kind, allowed) {
    if (!allowed) { return kind.ops; }
    return kind.ops.filter(function (pair) { return allowed.indexOf(pair[0]) !== -1; });
  }

  function valueKind(row, kind) {
    var op = row.querySelector("[name=op]").value;
    if (kind.op_values && kind.op_values[op]) { return kind.op_values[op]; }
    return row.dataset.valueKind || kind.value;
  }

  function setChoices(row, choices) {
    var input = row.querySelector("[data-value-input]");
    var list = row.querySelector("datalist");
    if (!choices || !choices.length) {
      input.removeAttribute("list");
      return;
    }
    if (!list) {
      list = document.createElement("datalist");
      list.id = "segment-choices-" + Math.random().toString(36).slice(2);
      row.querySelector("[data-picker-cell=value]").appendChild(list);
    }
    clear(list);
    choices.forEach(function (choice) {
      var option = document.createElement("option");
      option.value = choice;
      list.appendChild(option);
    });
    input.setAttribute("list", list.id);
  }

  function layout(row) {
    var kind = catalog[row.querySelector("[name=field]").value];
    var keyCell = row.querySelector("[data-picker-cell=key]");
    var valueCell = row.querySelector("[data-picker-cell=value]");
    var valueInput = row.querySelector("[data-value-input]");
    var valueSearch = valueCell.querySelector("[data-picker-input]");
    if (!kind) {
      keyCell.querySelector("[data-picker-input]").hidden = true;
      valueSearch.hidden = true;
      valueInput.type = "text";
      valueInput.hidden = false;
      return;
    }
    keyCell.querySelector("[data-picker-input]").hidden = !kind.key_picker;
    valueSearch.hidden = !kind.picker;
    var kindOfValue = valueKind(row, kind);
    if (kind.picker) {
      valueInput.type = "hidden";
    } else {
      valueInput.type = kindOfValue === "number" ? "number" : (kindOfValue === "date" ? "date" : "text");
      if (kindOfValue === "number") { valueInput.step = "any"; }
      valueInput.hidden = kindOfValue === "none";
    }
    setChoices(row, row.dataset.choices ? JSON.parse(row.dataset.choices) : kind.choices);
  }

  function fieldChanged(row) {
    var kind = catalog[row.querySelector("[name=field]").value];
    delete row.dataset.valueKind;
    delete row.dataset.choices;
    row.querySelectorAll("[name=key], [name=value], [data-picker-input]").forEach(function (input) { input.value = ""; });
    if (kind) { setOps(row, kind.ops); }
    layout(row);
  }

  // --- pickers --------------------------------------------------------------------------------------------

  function setupPicker(form, row, cell, onPick) {
    var search = cell.querySelector("[data-picker-input]");
    var hidden = cell.querySelector("[name=key], [name=value]");
    var results = cell.querySelector(".picker-results");
    var emptyTemplate = form.querySelector("template[data-picker-empty]");
    var emptyText = (emptyTemplate && emptyTemplate.content.textContent.trim()) || "—";
    var timer = null;
    var sequence = 0;

    function pickerName() {
      var kind = catalog[row.querySelector("[name=field]").value] || {};
      return cell.dataset.pickerCell === "key" ? kind.key_picker : kind.picker;
    }

    function close() {
      results.hidden = true;
      search.setAttribute("aria-expanded", "false");
    }

    function choose(item) {
      hidden.value = String(item.id);
      search.value = item.name;
      close();
      if (onPick) { onPick(item); }
      hidden.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function show(items) {
      clear(results);
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = emptyText;
        results.appendChild(none);
      }
      items.forEach(function (item) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("role", "option");
        button.className = "picker-option";
        button.textContent = item.name;
        if (item.detail) {
          var small = document.createElement("small");
          small.className = "muted";
          small.textContent = " " + item.detail;
          button.appendChild(small);
        }
        button.addEventListener("click", function () { choose(item); search.focus(); });
        li.appendChild(button);
        results.appendChild(li);
      });
      results.hidden = false;
      search.setAttribute("aria-expanded", "true");
    }

    function lookup() {
      var name = pickerName();
      if (!name) { return; }
      var mine = ++sequence;
      var url = form.dataset.pickUrl + "?picker=" + encodeURIComponent(name) + "&q=" + encodeURIComponent(search.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (response) {
        return response.ok ? response.json() : {results: []};
      }).then(function (body) {
        if (mine === sequence && document.activeElement === search) { show(body.results || []); }
      }).catch(function () { /* the search is a convenience: typing on keeps working */ });
    }

    search.addEventListener("input", function (event) {
      event.stopPropagation();  // typing a search is not a change of the definition
      hidden.value = "";  // a name typed but not chosen names nothing
      clearTimeout(timer);
      timer = setTimeout(lookup, 200);
    });
    search.addEventListener("focus", lookup);
    search.addEventListener("keydown", function (event) {
      var options = Array.prototype.slice.call(results.querySelectorAll(".picker-option"));
      if (event.key === "ArrowDown" && options.length) { event.preventDefault(); options[0].focus(); }
      if (event.key === "Escape") { close(); }
      if (event.key === "Enter") {
        event.preventDefault();  // never submits the form half-chosen
        if (options.length === 1) { options[0].click(); }
      }
    });
    results.addEventListener("keydown", function (event) {
      var options = Array.prototype.slice.call(results.querySelectorAll(".picker-option"));
      var at = options.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at < options.length - 1) { event.preventDefault(); options[at + 1].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? options[at - 1] : search).focus(); }
      if (event.key === "Escape") { close(); search.focus(); }
    });
    cell.addEventListener("focusout", function () {
      setTimeout(function () { if (!cell.contains(document.activeElement)) { close(); } }, 150);
    });
  }

  function setupRow(form, row) {
    row.querySelector("[name=field]").addEventListener("change", function () { fieldChanged(row); });
    row.querySelector("[name=op]").addEventListener("change", function () { layout(row); });
    setupPicker(form, row, row.querySelector("[data-picker-cell=key]"), function (item) {
      // An attribute or a question decides which operators fit and how its value is typed.
      var kind = catalog[row.querySelector("[name=field]").value];
      if (item.ops) { setOps(row, opsOf(kind, item.ops)); }
      row.dataset.valueKind = item.value || "";
      row.dataset.choices = JSON.stringify(item.choices || []);
      layout(row);
    });
    setupPicker(form, row, row.querySelector("[data-picker-cell=value]"));
    layout(row);
  }

  // --- the live preview -----------------------------------------------------------------------------------

  function setup(form) {
    var output = form.querySelector("[data-segment-count]");
    var errors = form.querySelector("[data-segment-errors]");
    var names = form.querySelector("[data-segment-names]");
    var namesTitle = form.querySelector("[data-segment-names-title]");
    var none = form.querySelector("[data-segment-none]");
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    var timer = null;
    var sequence = 0;

    function showNames(customers) {
      clear(names);
      (customers || []).forEach(function (customer) {
        var item = document.createElement("li");
        item.textContent = customer.name;
        names.appendChild(item);
      });
      namesTitle.hidden = !customers || !customers.length;
      none.hidden = !customers || customers.length > 0;
    }

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
            showNames(body.customers);
            showErrors(errors, []);
            return;
          }
          output.textContent = "—";
          showNames(null);
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
    form.querySelectorAll("[data-segment-row]").forEach(function (row) { setupRow(form, row); });

    var add = form.querySelector("[data-segment-add]");
    if (add) {
      add.addEventListener("click", function () {
        var rows = form.querySelectorAll("[data-segment-row]");
        var last = rows[rows.length - 1];
        var copy = last.cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
        copy.querySelectorAll("datalist").forEach(function (list) { list.remove(); });
        delete copy.dataset.valueKind;
        delete copy.dataset.choices;
        last.parentNode.appendChild(copy);
        setupRow(form, copy);
        copy.querySelector("select").focus();
      });
    }

    if (definitionOf(form)[form.querySelector("[name=match]").value === "any" ? "any" : "all"].length) {
      refresh();
    }
  }

  document.querySelectorAll("form[data-segment-builder]").forEach(setup);
})();

/* The campaign builder: variables inserted at the cursor, the sections that apply to the chosen card, audience,
   channel and schedule, the live audience count and the per-recipient phone preview (both asked of the server
   with the form's current values, debounced), and the test send to yourself. Everything the server returns is
   shown as text, except the preview, which is the server's own escaped rendering of the chat message. */
(function () {
  "use strict";
  var form = document.querySelector("[data-campaign-builder]");
  if (!form) return;

  function msg(name, fallback) { return form.getAttribute("data-i18n-" + name) || fallback; }
  function value(name) {
    var checked = form.querySelector("[name=" + name + "]:checked");
    if (checked) return checked.value;
    var field = form.querySelector("select[name=" + name + "], input[name=" + name + "]:not([type=radio]):not([type=checkbox])");
    return field ? field.value : "";
  }
  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function post(url, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); });
  }
  function errorText(body) {
    if (body && body.error) return body.error.message || "";
    return "";
  }
  var fmt = function (n) { return Number(n).toLocaleString(); };

  // --- variables at the cursor --------------------------------------------------------------------------------
  var body = form.querySelector("textarea[name=body]");
  Array.prototype.forEach.call(form.querySelectorAll("[data-insert]"), function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-insert");
      var start = body.selectionStart, end = body.selectionEnd;
      body.value = body.value.slice(0, start) + text + body.value.slice(end);
      body.focus();
      body.selectionStart = body.selectionEnd = start + text.length;
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // --- the sections that apply ----------------------------------------------------------------------------------
  function toggle(attr, current) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-" + attr + "]"), function (el) {
      el.hidden = el.getAttribute("data-" + attr) !== current;
    });
  }
  function sections() {
    toggle("card", value("card_kind"));
    toggle("audience", value("audience_type"));
    toggle("channel", value("channel"));
    toggle("confirm", value("confirm_mode"));
    toggle("when", value("when"));
    toggle("repeat", value("repeat") || "days");
  }

  // --- the live count -------------------------------------------------------------------------------------------
  var total = document.querySelector("[data-count-total]");
  var reasons = document.querySelector("[data-count-reasons]");
  var countError = document.querySelector("[data-count-error]");
  function refreshCount() {
    total.textContent = msg("counting", "Counting…");
    post(form.getAttribute("data-breakdown-url")).then(function (res) {
      reasons.textContent = "";
      if (!res.ok) {
        total.textContent = "—";
        countError.hidden = false;
        countError.textContent = errorText(res.body);
        return;
      }
      countError.hidden = true;
      var template = res.body.groups ? msg("groups", "%(n)s groups will get the post") : msg("will-receive", "%(n)s will receive");
      total.textContent = template.replace("%(n)s", fmt(res.body.will_receive));
      res.body.skipped.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-reason", item.reason);
        li.textContent = fmt(item.count) + " " + item.label;
        reasons.appendChild(li);
      });
    }).catch(function () { total.textContent = "—"; });
  }
  var refreshCountSoon = debounce(refreshCount, 300);

  // --- the phone preview ----------------------------------------------------------------------------------------
  var search = document.querySelector("[data-customer-search]");
  var results = document.querySelector("[data-customer-results]");
  var phone = document.querySelector("[data-phone]");
  var previewError = document.querySelector("[data-preview-error]");
  var customerId = "";
  function refreshPreview() {
    if (!customerId) return;
    post(form.getAttribute("data-preview-url"), { customer: customerId }).then(function (res) {
      if (!res.ok) {
        previewError.hidden = false;
        previewError.textContent = errorText(res.body);
        return;
      }
      previewError.hidden = true;
      // Rendered and escaped by the server's chat templates; parsed inertly (no script runs) and moved in.
      var parsed = new DOMParser().parseFromString(res.body.html, "text/html");
      phone.replaceChildren.apply(phone, Array.prototype.slice.call(parsed.body.childNodes));
    });
  }
  var refreshPreviewSoon = debounce(refreshPreview, 300);
  function findCustomers() {
    var url = form.getAttribute("data-customers-url") + "?q=" + encodeURIComponent(search.value.trim());
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        results.textContent = "";
        if (!data.results || !data.results.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = msg("no-match", "No customer by that name.");
          results.appendChild(none);
          return;
        }
        data.results.forEach(function (c) {
          var li = document.createElement("li");
          var pick = document.createElement("button");
          pick.type = "button";
          pick.className = "link";
          pick.setAttribute("data-customer-id", String(c.id));
          pick.textContent = c.name;
          pick.addEventListener("click", function () {
            customerId = String(c.id);
            search.value = c.name;
            results.textContent = "";
            refreshPreview();
          });
          li.appendChild(pick);
          results.appendChild(li);
        });
      });
  }
  if (search) search.addEventListener("input", debounce(findCustomers, 250));

  // --- test send ------------------------------------------------------------------------------------------------
  var testButton = document.querySelector("[data-send-test]");
  var testResult = document.querySelector("[data-send-test-result]");
  if (testButton) {
    testButton.addEventListener("click", function () {
      testButton.disabled = true;
      post(form.getAttribute("data-send-test-url")).then(function (res) {
        testResult.textContent = res.ok ? res.body.message : errorText(res.body);
        testResult.className = res.ok ? "muted" : "error";
      }).finally(function () { testButton.disabled = false; });
    });
  }

  form.addEventListener("change", function () { sections(); refreshCountSoon(); refreshPreviewSoon(); });
  form.addEventListener("input", function (e) {
    if (e.target === search) return;
    refreshPreviewSoon();
    if (e.target.name === "send_at") refreshCountSoon();
  });
  sections();
  refreshCount();
})();

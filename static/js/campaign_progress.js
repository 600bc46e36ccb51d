/* The campaign page's live progress bar: while the campaign is sending, ask the server for the latest run's
   counts every 2 seconds (sent / skipped by reason / waiting / failed of total) and show them as text. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress]");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("[data-progress-bar]");
  var reasons = box.querySelector("[data-reasons]");
  var badge = document.querySelector("[data-status]:not([data-progress])");
  var fmt = function (n) { return Number(n || 0).toLocaleString(); };

  function show(data) {
    ["total", "sent", "skipped", "pending", "failed"].forEach(function (name) {
      var el = box.querySelector('[data-count="' + name + '"]');
      if (el) el.textContent = fmt(data[name]);
    });
    bar.max = Math.max(1, data.total || 0);
    bar.value = (data.sent || 0) + (data.skipped || 0) + (data.failed || 0);
    reasons.textContent = "";
    (data.reasons || []).forEach(function (r) {
      var li = document.createElement("li");
      li.setAttribute("data-reason", r.reason);
      li.textContent = fmt(r.count) + " " + r.label;
      reasons.appendChild(li);
    });
    if (badge) {
      badge.textContent = data.status_label;
      badge.className = "badge status-" + data.status;
    }
    box.setAttribute("data-status", data.status);
  }

  function poll() {
    if (box.getAttribute("data-status") !== "sending") return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .finally(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();

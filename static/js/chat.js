/*
 * chat.js: the live chat client for the customer chat page and the rep inbox.
 *
 * Speaks the /ws/chat/ frames of CONTRACT.md. No build step, no globals. The page
 * marks its root with [data-chat-root] and tells us (as data attributes):
 *   data-conversation  the open conversation id (absent on the bare inbox list)
 *   data-last-seq      the last seq the server rendered
 *   data-me            our participant key ("customer:12" | "user:3")
 *   data-reads         optional JSON {participant_key: last_read_seq}
 *   data-actions-template  optional id of a <template> with per-message staff actions
 *   data-tz            the brand's time zone (IANA name): every time is shown in it, live or reloaded
 *   data-card-base     where interactive cards are read and pressed ("/chat/cards/" or the inbox's)
 *   data-i18n-*        user-facing strings (seen, typing, sending, failed, retry, deleted, ...)
 * Server-rendered messages (li[data-seq]) are the starting state. Every piece of data
 * goes into the DOM through textContent / value, never as markup.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-chat-root]");
  if (!root || !("WebSocket" in window)) return;

  var cid = parseInt(root.getAttribute("data-conversation") || "", 10) || null;
  var me = root.getAttribute("data-me") || "";
  var meIsStaff = me.indexOf("user:") === 0;
  var wsPath = root.getAttribute("data-ws-path") || "/ws/chat/";
  var list = root.querySelector(".messages-list");
  var form = root.querySelector("form.composer");
  var input = form ? form.querySelector("textarea[name=body], input[name=body]") : null;
  var typingEl = root.querySelector(".typing-indicator");
  var statusEl = document.getElementById("connection-status");
  var errorEl = root.querySelector(".chat-error");
  var actionsTemplate = document.getElementById(root.getAttribute("data-actions-template") || "");
  var replyAs = form ? form.querySelector("[data-reply-as]") : null;
  var brandTz = root.getAttribute("data-tz") || "";
  var cardBase = root.getAttribute("data-card-base") || "";
  var clockFormat = null;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false,
      timeZone: brandTz || undefined });
  } catch (e) { clockFormat = null; /* unknown zone: the browser's own clock */ }

  var TYPING_SEND_INTERVAL = 2500;
  var TYPING_SHOW_MS = 3000;
  var MAX_BACKOFF_MS = 30000;

  function str(name, fallback) {
    var value = root.getAttribute("data-i18n-" + name);
    return value === null ? fallback : value;
  }

  // --- state ------------------------------------------------------------------------------

  var ws = null;
  var ready = false;
  var everReady = false;
  var attempt = 0;
  var reconnectTimer = null;
  var lastSeq = parseInt(root.getAttribute("data-last-seq") || "0", 10) || 0; // contiguous: we hold 1..lastSeq
  var maxSeq = lastSeq; // the highest seq we hold
  var seenAhead = {}; // seqs held above lastSeq (after a gap)
  var syncInFlight = false;
  var resyncWanted = false;
  var lastReadSent = 0;
  var reads = {};
  var pending = {}; // client_msg_id -> {body, li, failed}
  var lastTypingSent = 0;
  var typingTimer = null;
  var baseTitle = document.title;
  var unseen = 0;

  try {
    var initialReads = JSON.parse(root.getAttribute("data-reads") || "{}");
    Object.keys(initialReads).forEach(function (key) {
      if (typeof initialReads[key] === "number") reads[key] = initialReads[key];
    });
  } catch (e) { /* no initial read state */ }

  if (list) {
    Array.prototype.forEach.call(list.querySelectorAll("li[data-seq]"), function (li) {
      var seq = parseInt(li.getAttribute("data-seq"), 10);
      if (seq > maxSeq) maxSeq = seq;
    });
    if (maxSeq > lastSeq) lastSeq = maxSeq;
  }

  // --- helpers ----------------------------------------------------------------------------

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function token(value) {
    return String(value || "").toLowerCase().replace(/[^a-z0-9_-]/g, "");
  }

  function isOpen() {
    return ws !== null && ws.readyState === WebSocket.OPEN && ready;
  }

  function send(frame) {
    if (!isOpen()) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function setStatus(state, text) {
    if (!statusEl) return;
    statusEl.setAttribute("data-state", state);
    statusEl.textContent = text;
  }

  var errorTimer = null;
  function showError(text) {
    if (!errorEl) return;
    errorEl.textContent = text;
    errorEl.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(function () { errorEl.hidden = true; errorEl.textContent = ""; }, 6000);
  }

  function appendLines(el, text) {
    var lines = String(text).split("\n");
    lines.forEach(function (line, i) {
      if (i > 0) el.appendChild(document.createElement("br"));
      el.appendChild(document.createTextNode(line));
    });
  }

  function timeOf(iso) {
    var t = document.createElement("time");
    if (!iso) return t;
    var d = new Date(iso);
    if (isNaN(d.getTime())) return t;
    t.setAttribute("datetime", iso);
    t.textContent = clockFormat ? clockFormat.format(d)
      : ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    return t;
  }

  function nearBottom() {
    return !list || list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function scrollToBottom() {
    if (list) list.scrollTop = list.scrollHeight;
  }

  function listShown() {
    return !!list && list.getClientRects().length > 0;
  }

  function removeEmptyNote() {
    if (!list) return;
    Array.prototype.forEach.call(list.querySelectorAll("li.empty"), function (li) { li.remove(); });
  }

  // --- rendering ----------------------------------------------------------------------------

  function cloneActions(message) {
    if (!actionsTemplate || !actionsTemplate.content || message.deleted_at || message.kind === "system") return null;
    var fragment = actionsTemplate.content.cloneNode(true);
    Array.prototype.forEach.call(fragment.querySelectorAll("input[name=message_id]"), function (field) {
      field.value = String(message.id);
    });
    Array.prototype.forEach.call(fragment.querySelectorAll("[data-for]"), function (el) {
      if (el.getAttribute("data-for") !== message.sender_type) el.remove();
    });
    return fragment;
  }

  function renderMessage(m) {
    var li = document.createElement("li");
    li.className = "msg msg-" + token(m.sender_type) + " msg-kind-" + token(m.kind);
    if (m.sender_key === me) li.classList.add("msg-own");
    if (m.deleted_at) li.classList.add("msg-deleted");
    li.setAttribute("data-seq", String(m.seq));
    li.setAttribute("data-id", String(m.id));
    li.setAttribute("data-sender", String(m.sender_key || ""));
    li.setAttribute("data-sig", String(m.deleted_at || "") + "|" + String(m.edited_at || ""));
    if (m.kind === "system") {
      var p = document.createElement("p");
      p.className = "system";
      p.textContent = m.body || "";
      li.appendChild(p);
      return li;
    }
    var persona = m.persona && typeof m.persona === "object" ? m.persona : null;
    if (persona && !meIsStaff && typeof persona.avatar_url === "string" && /^\/chat\/persona\/\d+\/avatar\//.test(persona.avatar_url)) {
      var avatar = document.createElement("img");
      avatar.className = "avatar";
      avatar.src = persona.avatar_url;
      avatar.alt = "";
      avatar.width = 28;
      avatar.height = 28;
      li.appendChild(avatar);
    }
    var sender = document.createElement("span");
    sender.className = "sender";
    sender.textContent = m.sender_name || "";
    if (persona && meIsStaff) {
      // Staff see who really spoke as the persona: "Mei (as Lumi)".
      sender.textContent = m.sent_by && m.sent_by.name
        ? str("as-persona", "%(real)s (as %(persona)s)").replace("%(real)s", String(m.sent_by.name))
          .replace("%(persona)s", String(persona.name || ""))
        : str("brand-persona", "%(persona)s (brand persona)").replace("%(persona)s", String(persona.name || ""));
    }
    li.appendChild(sender);
    var body = document.createElement("p");
    body.className = "body";
    if (m.deleted_at) {
      body.classList.add("deleted");
      body.textContent = m.hidden ? str("hidden", "Hidden by the group's rules.")
        : str("deleted", "This message was deleted.");
    } else {
      appendLines(body, m.body || "");
      var card = renderCard(m.kind, m.payload || {});
      if (card) body.appendChild(card);
      // A campaign's text (or survey) message carries the same opt-out link as its cards.
      if ((m.kind !== "product" && m.kind !== "coupon") || (card && card.hasAttribute("data-card"))) {
        var optOut = optOutLink(m.payload || {});
        if (optOut) body.appendChild(optOut);
      }
    }
    li.appendChild(body);
    li.appendChild(timeOf(m.created_at));
    var actions = cloneActions(m);
    if (actions) li.appendChild(actions);
    return li;
  }

  // Product and coupon cards; every value goes in as text, and links and images only when they are http(s).
  function renderCard(kind, payload) {
    if (isLiveRef(payload.ref) && cardBase) return liveCard(kind, payload);
    if (kind === "survey") return surveyCard(payload);
    if (kind === "image" || kind === "file") return attachmentCard(kind, payload);
    if (kind === "order") return orderCard(payload);
    if (kind === "product") return productCard(payload);
    if (kind !== "coupon") return null;
    var card = document.createElement("span");
    card.className = "msg-card msg-card-" + kind;
    var title = document.createElement("strong");
    title.textContent = String(payload.title || "");
    card.appendChild(title);
    var detail = document.createElement("span");
    detail.className = "msg-card-detail";
    detail.textContent = str("coupon-code", "Code") + ": " + String(payload.code || "");
    card.appendChild(detail);
    // Promotions carry their one-tap opt-out link (a path on this site, signed for the recipient).
    var optOut = optOutLink(payload);
    if (optOut) card.appendChild(optOut);
    return card;
  }

  // A product card: its image (http(s) only), name, price and a "View product" button to the product's page.
  function productCard(payload) {
    var card = document.createElement("span");
    card.className = "msg-card msg-card-product";
    if (typeof payload.product_id === "number") card.setAttribute("data-product-id", String(payload.product_id));
    if (typeof payload.image_url === "string" && /^https?:\/\//.test(payload.image_url)) {
      var img = document.createElement("img");
      img.className = "msg-card-image";
      img.src = payload.image_url;
      img.alt = "";
      img.loading = "lazy";
      card.appendChild(img);
    }
    var title = document.createElement("strong");
    title.textContent = String(payload.name || "");
    card.appendChild(title);
    var price = document.createElement("span");
    price.className = "msg-card-price";
    price.textContent = String(payload.price || "") + " " + String(payload.currency || "");
    card.appendChild(price);
    if (typeof payload.url === "string" && /^https?:\/\//.test(payload.url)) {
      var link = cardLink(card, tracked(payload) || payload.url, "button msg-card-button",
        str("view-product", "View product"));
      link.rel = "noopener noreferrer";
      link.target = "_blank";
    }
    var optOut = optOutLink(payload);
    if (optOut) card.appendChild(optOut);
    return card;
  }

  // The one-tap opt-out link of a promotion: only a path of this site's opt-out page (/o/<signed token>/).
  function optOutLink(payload) {
    if (typeof payload.opt_out_url !== "string" || !/^\/o\/[\w.:-]+\/$/.test(payload.opt_out_url)) return null;
    var link = document.createElement("a");
    link.className = "msg-opt-out";
    link.href = payload.opt_out_url;
    link.textContent = str("opt-out", "Stop promotions");
    return link;
  }

  // A campaign's card goes through this site's tracked redirect (/c/<signed token>/), which counts the click.
  function tracked(payload) {
    return typeof payload.click_url === "string" && /^\/c\/[\w.:-]+\/$/.test(payload.click_url)
      ? payload.click_url : null;
  }

  // Uploaded images and files: only this site's attachment paths (/chat/files/<id>/) become links or images.
  function attachmentCard(kind, payload) {
    var own = /^\/chat\/files\/\d+\/$/;
    if (typeof payload.url !== "string" || !own.test(payload.url)) return null;
    var card = document.createElement("span");
    card.className = "msg-attachment " + kind;
    var link = document.createElement("a");
    link.href = payload.url;
    if (kind === "image") {
      link.target = "_blank";
      link.rel = "noopener";
      var img = document.createElement("img");
      img.src = typeof payload.thumb_url === "string" && /^\/chat\/files\/\d+\/\?thumb=1$/.test(payload.thumb_url)
        ? payload.thumb_url : payload.url;
      img.alt = String(payload.name || "");
      img.loading = "lazy";
      link.appendChild(img);
    } else {
      link.setAttribute("download", "");
      link.textContent = "\uD83D\uDCCE " + String(payload.name || "");
    }
    card.appendChild(link);
    return card;
  }

  // Callers check the href first: only http(s) or this site's own paths reach here.
  function cardLink(card, href, className, text) {
    var link = document.createElement("a");
    if (className) link.className = className;
    link.href = href;
    link.textContent = text;
    card.appendChild(link);
    return link;
  }

  // --- interactive cards (coupon, group-buy, event) ---------------------------------------------------
  // The message names the object (payload.ref); what this viewer sees on it, and its buttons, come from
  // GET <card-base><kind>/<ref>/ as {title, lines, image_url, code, qr_url, badge, progress, actions, links}.
  // Pressing a button POSTs <card-base><kind>/<ref>/<verb>/ and answers the new state. A "card" frame
  // says the card changed for everyone (a group-buy's progress): each open copy is read again.

  var cardStates = {};
  var cardLoading = {};
  var cardAgain = {}; // changed while being read: read once more

  function isLiveRef(ref) {
    return typeof ref === "number" && ref > 0 && Math.floor(ref) === ref;
  }

  function cardKey(kind, ref) { return token(kind) + ":" + ref; }

  function cardUrl(key, verb) {
    var parts = key.split(":");
    return cardBase + encodeURIComponent(parts[0]) + "/" + parts[1] + "/" + (verb ? encodeURIComponent(verb) + "/" : "");
  }

  function liveCard(kind, payload) {
    var card = document.createElement("span");
    var key = cardKey(kind, payload.ref);
    card.className = "msg-card msg-card-live msg-card-" + token(kind);
    card.setAttribute("data-card", key);
    var title = document.createElement("strong");
    title.textContent = String(payload.title || "");
    card.appendChild(title);
    if (cardStates[key]) paintCard(card, cardStates[key]);
    else loadCard(key, false);
    return card;
  }

  function cardsOf(key) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-card]"), function (el) {
      return el.getAttribute("data-card") === key;
    });
  }

  function loadCard(key, force) {
    if (!cardBase || (!force && cardStates[key])) return;
    if (cardLoading[key]) { if (force) cardAgain[key] = true; return; }
    cardLoading[key] = true;
    fetch(cardUrl(key, ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        cardLoading[key] = false;
        if (state && typeof state.title === "string") {
          cardStates[key] = state;
          cardsOf(key).forEach(function (el) { paintCard(el, state); });
        }
        if (cardAgain[key]) { cardAgain[key] = false; loadCard(key, true); }
      })
      .catch(function () { cardLoading[key] = false; });
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function pressCard(el, key, verb, button) {
    button.disabled = true;
    fetch(cardUrl(key, verb), { method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        if (answer.ok && answer.body && typeof answer.body.title === "string") {
          cardStates[key] = answer.body;
          cardsOf(key).forEach(function (card) { paintCard(card, answer.body); });
          return;
        }
        button.disabled = false;
        var error = answer.body && answer.body.error;
        cardError(el, (error && error.message) || str("failed", "Not sent."));
      })
      .catch(function () {
        button.disabled = false;
        cardError(el, str("offline", "Offline. Reconnecting…"));
      });
  }

  function cardError(el, text) {
    var note = el.querySelector(".msg-card-error");
    if (!note) {
      note = document.createElement("span");
      note.className = "msg-card-error";
      note.setAttribute("role", "alert");
      el.appendChild(note);
    }
    note.textContent = String(text);
  }

  function ownOrHttp(url) {
    return typeof url === "string" && (/^https?:\/\//.test(url) || /^\/[\w\/.\-?=&%:]*$/.test(url)) ? url : null;
  }

  function paintCard(el, state) {
    var key = el.getAttribute("data-card");
    while (el.firstChild) el.removeChild(el.firstChild);
    var image = ownOrHttp(state.image_url);
    if (image) {
      var img = document.createElement("img");
      img.className = "msg-card-image";
      img.src = image;
      img.alt = "";
      img.loading = "lazy";
      el.appendChild(img);
    }
    var title = document.createElement("strong");
    title.textContent = String(state.title);
    el.appendChild(title);
    if (typeof state.badge === "string" && state.badge) {
      var badge = document.createElement("span");
      badge.className = "badge msg-card-badge";
      badge.textContent = state.badge;
      el.appendChild(badge);
    }
    (Array.isArray(state.lines) ? state.lines : []).forEach(function (line) {
      var detail = document.createElement("span");
      detail.className = "msg-card-detail";
      detail.textContent = String(line);
      el.appendChild(detail);
    });
    var p = state.progress;
    if (p && typeof p.value === "number" && typeof p.max === "number" && p.max > 0) {
      var bar = document.createElement("progress");
      bar.className = "msg-card-progress";
      bar.max = p.max;
      bar.value = Math.min(p.value, p.max);
      bar.setAttribute("aria-label", String(p.label || ""));
      el.appendChild(bar);
      var label = document.createElement("span");
      label.className = "msg-card-detail msg-card-progress-label";
      label.textContent = String(p.label || "");
      el.appendChild(label);
    }
    if (typeof state.code === "string" && state.code) {
      var code = document.createElement("code");
      code.className = "msg-card-code";
      code.textContent = state.code;
      el.appendChild(code);
    }
    var qr = typeof state.qr_url === "string" && /^\/[\w\/.\-?=&%:]*$/.test(state.qr_url) ? state.qr_url : null;
    if (qr) {
      var qrImg = document.createElement("img");
      qrImg.className = "msg-card-qr";
      qrImg.src = qr;
      qrImg.alt = String(state.code || "");
      el.appendChild(qrImg);
    }
    var row = document.createElement("span");
    row.className = "msg-card-actions";
    (Array.isArray(state.actions) ? state.actions : []).forEach(function (action) {
      if (!action || typeof action.verb !== "string") return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = action.primary ? "button" : "button secondary";
      button.textContent = String(action.label || action.verb);
      button.addEventListener("click", function () { pressCard(el, key, action.verb, button); });
      row.appendChild(button);
    });
    (Array.isArray(state.links) ? state.links : []).forEach(function (link) {
      var href = link && ownOrHttp(link.url);
      if (href) cardLink(row, href, "", String(link.label || href));
    });
    if (row.firstChild) el.appendChild(row);
  }

  function hydrateCards() {
    var seen = {};
    Array.prototype.forEach.call(root.querySelectorAll("[data-card]"), function (el) {
      var key = el.getAttribute("data-card");
      if (!seen[key]) { seen[key] = true; loadCard(key, false); }
    });
  }

  // A survey card links only to a survey page of this site (/s/<id>/), as the server checks too.
  function surveyCard(payload) {
    var card = document.createElement("span");
    card.className = "msg-card msg-card-survey";
    var title = document.createElement("strong");
    title.textContent = String(payload.title || "");
    card.appendChild(title);
    if (typeof payload.url === "string" && /^\/s\/\d+\/$/.test(payload.url)) {
      cardLink(card, tracked(payload) || payload.url, "button", str("answer-survey", "Answer the survey"));
    }
    return card;
  }

  // An order card (sent by the order notifications): number, status in the viewer's language, items, total,
  // tracking number and carrier; every value goes in as text.
  function orderCard(payload) {
    var card = document.createElement("span");
    card.className = "msg-card msg-card-order";
    var status = String(payload.status || "");
    card.setAttribute("data-order-status", status);
    function line(className, text) {
      var el = document.createElement("span");
      if (className) el.className = className;
      el.textContent = text;
      card.appendChild(el);
      return el;
    }
    var number = document.createElement("strong");
    number.className = "msg-card-order-number";
    number.textContent = str("order-number", "Order #%(number)s").replace("%(number)s", String(payload.external_id || ""));
    card.appendChild(number);
    line("msg-card-badge badge order-status order-status-" + token(status),
      /^(placed|paid|shipped|delivered|cancelled|refunded)$/.test(status) ? str("order-" + status, status) : status);
    var currency = String(payload.currency || "");
    (Array.isArray(payload.items) ? payload.items : []).forEach(function (item) {
      if (!item || typeof item !== "object") return;
      var row = line("msg-card-order-item", "");
      var what = document.createElement("span");
      what.textContent = String(item.quantity || "") + " \u00d7 " + String(item.name || "");
      var price = document.createElement("span");
      price.className = "msg-card-order-price";
      price.textContent = String(item.price || "") + " " + currency;
      row.appendChild(what);
      row.appendChild(document.createTextNode(" "));
      row.appendChild(price);
    });
    var total = line("msg-card-order-total", str("order-total", "Total") + " ");
    total.appendChild(document.createElement("span")).textContent = String(payload.total || "") + " " + currency;
    if (payload.tracking_number) {
      var tracking = line("msg-card-order-tracking", str("order-tracking", "Tracking number") + ": ");
      var code = document.createElement("span");
      code.className = "msg-card-code";
      code.textContent = String(payload.tracking_number);
      tracking.appendChild(code);
    }
    if (payload.carrier) line("msg-card-order-carrier", str("order-carrier", "Carrier") + ": " + String(payload.carrier));
    return card;
  }

  function bySeq(seq) {
    return list.querySelector('li[data-seq="' + Number(seq) + '"]');
  }

  function place(li, seq) {
    var items = list.querySelectorAll("li[data-seq]");
    for (var i = items.length - 1; i >= 0; i--) {
      if (parseInt(items[i].getAttribute("data-seq"), 10) < seq) {
        var anchor = items[i];
        // The team's notes written after that message stay with it.
        while (anchor.nextElementSibling && anchor.nextElementSibling.classList.contains("msg-note")) {
          anchor = anchor.nextElementSibling;
        }
        anchor.parentNode.insertBefore(li, anchor.nextSibling);
        return;
      }
    }
    var first = items.length ? items[0] : list.querySelector("li.pending, li.failed");
    if (first) list.insertBefore(li, first);
    else list.appendChild(li);
  }

  function noteSeq(seq) {
    if (seq > maxSeq) maxSeq = seq;
    if (seq > lastSeq) seenAhead[seq] = true;
    while (seenAhead[lastSeq + 1]) {
      delete seenAhead[lastSeq + 1];
      lastSeq += 1;
    }
  }

  /* Show one MESSAGE of the open conversation; idempotent by seq. Returns true when it was new. */
  function showMessage(m) {
    if (!list || typeof m.seq !== "number") return false;
    var stick = nearBottom() || m.sender_key === me;
    if (m.client_msg_id && m.sender_key === me && pending[m.client_msg_id]) {
      pending[m.client_msg_id].li.remove();
      delete pending[m.client_msg_id];
    }
    var existing = bySeq(m.seq);
    var isNew = !existing;
    var li = renderMessage(m);
    if (existing) {
      if (existing.getAttribute("data-sig") === li.getAttribute("data-sig")) return false;
      existing.parentNode.replaceChild(li, existing);
    } else {
      removeEmptyNote();
      place(li, m.seq);
    }
    var gap = m.seq > lastSeq + 1;
    noteSeq(m.seq);
    if (gap) requestSync();
    if (isNew && m.sender_key !== me) hideTyping(m.sender_key);
    if (stick) scrollToBottom();
    return isNew;
  }

  // A private note of the team (staff sockets only get these): after the message it was written beside.
  function showNote(note) {
    if (!list || typeof note.id !== "number" || list.querySelector('li[data-note="' + note.id + '"]')) return;
    var li = document.createElement("li");
    li.className = "msg msg-note";
    li.setAttribute("data-note", String(note.id));
    li.setAttribute("data-after-seq", String(note.after_seq || 0));
    var who = document.createElement("span");
    who.className = "sender";
    who.textContent = str("note-by", "Note by %(name)s").replace("%(name)s", String(note.author_name || ""));
    li.appendChild(who);
    var body = document.createElement("p");
    body.className = "body";
    appendLines(body, note.body || "");
    li.appendChild(body);
    li.appendChild(timeOf(note.created_at));
    removeEmptyNote();
    var anchor = bySeq(note.after_seq || 0);
    if (anchor) {
      while (anchor.nextElementSibling && anchor.nextElementSibling.classList.contains("msg-note")) {
        anchor = anchor.nextElementSibling;
      }
      anchor.parentNode.insertBefore(li, anchor.nextSibling);
    } else {
      list.appendChild(li);
    }
  }

  // --- read receipts --------------------------------------------------------------------------

  function othersRead() {
    var best = 0;
    Object.keys(reads).forEach(function (key) {
      if (key === me) return;
      if (meIsStaff && key.indexOf("customer:") !== 0) return; // staff care whether the customer saw it
      if (reads[key] > best) best = reads[key];
    });
    return best;
  }

  function updateReceipt() {
    if (!list) return;
    var latestOwn = null;
    var latestSeq = 0;
    Array.prototype.forEach.call(list.querySelectorAll("li[data-seq]"), function (li) {
      var seq = parseInt(li.getAttribute("data-seq"), 10);
      if (li.getAttribute("data-sender") === me && !li.classList.contains("msg-kind-system") && seq > latestSeq) {
        latestOwn = li;
        latestSeq = seq;
      }
    });
    var show = latestOwn !== null && othersRead() >= latestSeq;
    Array.prototype.forEach.call(list.querySelectorAll(".read-receipt"), function (el) {
      if (!show || el.parentNode !== latestOwn) el.remove();
    });
    if (show && !latestOwn.querySelector(".read-receipt")) {
      var receipt = document.createElement("span");
      receipt.className = "read-receipt";
      receipt.textContent = str("seen", "Seen");
      latestOwn.appendChild(receipt);
    }
  }

  function maybeRead() {
    if (!cid || document.visibilityState !== "visible" || !listShown() || !isOpen()) return;
    if (maxSeq <= lastReadSent) return;
    lastReadSent = maxSeq;
    send({ type: "read", conversation: cid, seq: maxSeq });
    setInboxUnread(cid, 0);
  }

  // --- typing -----------------------------------------------------------------------------------

  function hideTyping(key) {
    if (!typingEl) return;
    if (key && typingEl.getAttribute("data-who") !== key) return;
    clearTimeout(typingTimer);
    typingEl.hidden = true;
    typingEl.textContent = "";
    typingEl.removeAttribute("data-who");
  }

  function showTyping(who) {
    if (!typingEl || !who || who.key === me) return;
    typingEl.textContent = str("typing", "%(name)s is typing…").replace("%(name)s", String(who.name || ""));
    typingEl.setAttribute("data-who", String(who.key || ""));
    typingEl.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { hideTyping(); }, TYPING_SHOW_MS);
  }

  // --- the inbox list (other conversations) --------------------------------------------------------

  function inboxItem(conversationId) {
    return document.querySelector('[data-inbox-item="' + Number(conversationId) + '"]');
  }

  function setInboxUnread(conversationId, count) {
    var item = inboxItem(conversationId);
    var badge = item && item.querySelector(".unread-badge");
    if (!badge) return;
    badge.textContent = String(count);
    badge.hidden = count <= 0;
  }

  /* A message of a conversation other than the open one: bump its row. Returns true when new. */
  function bumpInbox(m) {
    var item = inboxItem(m.conversation);
    if (!item) return false;
    var known = parseInt(item.getAttribute("data-last-seq") || "0", 10) || 0;
    if (m.seq <= known) return false;
    item.setAttribute("data-last-seq", String(m.seq));
    var preview = item.querySelector(".preview");
    if (preview && !m.deleted_at) preview.textContent = m.body || "";
    if (m.sender_key !== me) {
      var badge = item.querySelector(".unread-badge");
      var count = badge ? (parseInt(badge.textContent, 10) || 0) + 1 : 1;
      setInboxUnread(m.conversation, count);
    }
    if (item.parentNode && item.parentNode.firstElementChild !== item) {
      item.parentNode.insertBefore(item, item.parentNode.firstElementChild);
    }
    return m.sender_key !== me;
  }

  // --- title badge --------------------------------------------------------------------------------

  function bumpTitle(m) {
    if (!document.hidden) return;
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
    notify(m);
  }

  // Desktop notifications while the tab is hidden, once the person allowed them (the inbox's button asks).
  function notify(m) {
    if (!m || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var n = new Notification(String(m.sender_name || baseTitle), {
        body: String(m.deleted_at ? "" : (m.body || "")).slice(0, 140), tag: "conversation-" + m.conversation });
      n.onclick = function () { window.focus(); n.close(); };
    } catch (e) { /* some browsers only notify from a service worker */ }
  }

  var notifyButton = document.querySelector("[data-enable-notifications]");
  if (notifyButton && "Notification" in window && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notifyButton.hidden = true; });
    });
  }

  function clearTitle() {
    unseen = 0;
    document.title = baseTitle;
  }

  // --- sending ------------------------------------------------------------------------------------

  function renderPending(id, body) {
    var li = document.createElement("li");
    li.className = "msg msg-own pending";
    li.setAttribute("data-client-msg-id", id);
    var text = document.createElement("p");
    text.className = "body";
    appendLines(text, body);
    li.appendChild(text);
    var state = document.createElement("small");
    state.className = "msg-state";
    state.textContent = str("sending", "Sending…");
    li.appendChild(state);
    return li;
  }

  function trySend(id) {
    var item = pending[id];
    if (!item || item.failed) return;
    var frame = { type: "send", conversation: cid, client_msg_id: id, body: item.body };
    if (item.as) frame.as = item.as;
    send(frame);
  }

  function markFailed(id, text) {
    var item = pending[id];
    if (!item) return;
    item.failed = true;
    item.li.classList.remove("pending");
    item.li.classList.add("failed");
    var state = item.li.querySelector(".msg-state");
    state.textContent = "";
    var why = document.createElement("span");
    why.className = "error";
    why.textContent = text || str("failed", "Not sent.");
    state.appendChild(why);
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link small retry";
    retry.textContent = str("retry", "Retry");
    retry.addEventListener("click", function () {
      item.failed = false;
      item.li.classList.remove("failed");
      item.li.classList.add("pending");
      state.textContent = str("sending", "Sending…");
      trySend(id);
    });
    state.appendChild(document.createTextNode(" "));
    state.appendChild(retry);
  }

  function speakingAs() {
    var chosen = replyAs ? replyAs.querySelector("input[name=reply_as]:checked") : null;
    return chosen && chosen.value === "persona" ? "persona" : "";
  }

  if (form && input && cid) {
    form.addEventListener("submit", function (event) {
      if (!everReady) return; // never connected: the plain POST form still works
      event.preventDefault();
      var body = input.value;
      if (!body.trim()) return;
      var id = newId();
      var li = renderPending(id, body);
      pending[id] = { body: body, li: li, failed: false, as: speakingAs() };
      removeEmptyNote();
      list.appendChild(li);
      scrollToBottom();
      input.value = "";
      input.focus();
      trySend(id);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && input.tagName === "TEXTAREA") {
        event.preventDefault();
        if (typeof form.requestSubmit === "function") form.requestSubmit();
        else form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    input.addEventListener("input", function () {
      var now = Date.now();
      if (input.value && now - lastTypingSent > TYPING_SEND_INTERVAL && isOpen()) {
        lastTypingSent = now;
        var typing = { type: "typing", conversation: cid };
        if (speakingAs()) typing.as = speakingAs();
        send(typing);
      }
    });
  }

  // Forms that ask before they act (delete, remove): the question is plain text.
  root.addEventListener("submit", function (event) {
    var target = event.target;
    var question = target && target.getAttribute && target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // --- sync ---------------------------------------------------------------------------------------

  function requestSync() {
    if (!cid || !isOpen()) return;
    if (syncInFlight) {
      resyncWanted = true;
      return;
    }
    syncInFlight = true;
    resyncWanted = false;
    send({ type: "sync", conversation: cid, after_seq: lastSeq });
  }

  function onSync(frame) {
    if (frame.conversation !== cid) return;
    syncInFlight = false;
    var fresh = false;
    (frame.messages || []).forEach(function (m) {
      if (showMessage(m) && m.sender_key !== me) fresh = m;
    });
    if (fresh) bumpTitle(fresh);
    if (!frame.has_more && lastSeq < maxSeq) {
      // The server gave everything after lastSeq: any seq still missing does not exist.
      seenAhead = {};
      lastSeq = maxSeq;
    }
    if (frame.has_more || resyncWanted) requestSync();
    updateReceipt();
    maybeRead();
  }

  // --- frames ---------------------------------------------------------------------------------------

  function handle(frame) {
    if (!frame || typeof frame.type !== "string") return;
    switch (frame.type) {
      case "ready":
        ready = true;
        everReady = true;
        attempt = 0;
        setStatus("online", str("online", "Connected"));
        if (form) form.setAttribute("data-live", "true");
        requestSync();
        Object.keys(pending).forEach(trySend);
        maybeRead();
        break;
      case "message":
      case "ack":
        if (!frame.message) break;
        if (frame.message.conversation === cid) {
          var isNew = showMessage(frame.message);
          if (isNew && frame.message.sender_key !== me) bumpTitle(frame.message);
          updateReceipt();
          maybeRead();
        } else if (bumpInbox(frame.message)) {
          bumpTitle(frame.message);
        }
        break;
      case "sync":
        onSync(frame);
        break;
      case "note":
        if (frame.conversation === cid && frame.note) showNote(frame.note);
        break;
      case "read":
        if (frame.conversation !== cid || !frame.reader || typeof frame.seq !== "number") break;
        if (frame.reader.key === me) {
          if (frame.seq > lastReadSent) lastReadSent = frame.seq;
          setInboxUnread(cid, 0);
        } else {
          reads[frame.reader.key] = Math.max(reads[frame.reader.key] || 0, frame.seq);
          updateReceipt();
        }
        break;
      case "typing":
        if (frame.conversation === cid) showTyping(frame.who);
        break;
      case "error":
        if (frame.ref && pending[frame.ref]) markFailed(frame.ref, frame.message);
        else {
          if (frame.code === "not_found" && syncInFlight) syncInFlight = false;
          showError(frame.message || str("failed", "Not sent."));
        }
        break;
      case "card":
        if (typeof frame.kind === "string" && isLiveRef(frame.ref)) {
          var changed = cardKey(frame.kind, frame.ref);
          if (cardsOf(changed).length) loadCard(changed, true);
        }
        break;
      case "conversation.removed":
        if (frame.conversation === cid) {
          showError(str("removed", "You no longer have access to this conversation."));
          if (form) form.hidden = true;
        }
        break;
      default:
        break; // conversation.added and future frames: nothing to show here
    }
  }

  // --- connection -----------------------------------------------------------------------------------

  function connect() {
    reconnectTimer = null;
    setStatus(everReady ? "reconnecting" : "connecting",
      everReady ? str("reconnecting", "Reconnecting…") : str("connecting", "Connecting…"));
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var socket;
    try {
      socket = new WebSocket(scheme + "//" + window.location.host + wsPath);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onmessage = function (event) {
      if (socket !== ws) return;
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (socket !== ws) return;
      ready = false;
      syncInFlight = false;
      ws = null;
      if (event.code === 4401) {
        setStatus("signed-out", str("signed-out", "Signed out. Reload the page to sign in again."));
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null) return;
    setStatus("offline", str("offline", "Offline. Reconnecting…"));
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt));
    delay = delay / 2 + Math.random() * delay / 2;
    attempt += 1;
    reconnectTimer = setTimeout(connect, delay);
  }

  window.addEventListener("online", function () {
    if (ws === null && reconnectTimer !== null) {
      clearTimeout(reconnectTimer);
      connect();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      clearTitle();
      maybeRead();
    }
  });
  window.addEventListener("focus", function () {
    clearTitle();
    maybeRead();
  });

  updateReceipt();
  scrollToBottom();
  hydrateCards();
  connect();
})();

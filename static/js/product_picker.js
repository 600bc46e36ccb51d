/* The product picker of the inbox composer and the campaign builder: typing in the search box asks the catalogue
   (GET <data-pick-url>?q=) for matching active products. In the inbox each result is a submit button of the
   product card form (name=product_id); in the builder ([data-product-select]) the results become the options of
   the product select. Every value goes in as text; an image only when its link is http(s). */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function label(p) {
    return String(p.name || "") + " · " + String(p.price || "") + " " + String(p.currency || "");
  }

  function pickButton(p) {
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "product-pick";
    button.name = "product_id";
    button.value = String(p.id);
    if (typeof p.image_url === "string" && /^https?:\/\//.test(p.image_url)) {
      var img = document.createElement("img");
      img.src = p.image_url;
      img.alt = "";
      img.loading = "lazy";
      button.appendChild(img);
    } else {
      var empty = document.createElement("span");
      empty.className = "product-thumb-empty";
      empty.setAttribute("aria-hidden", "true");
      button.appendChild(empty);
    }
    var text = document.createElement("span");
    var name = document.createElement("strong");
    name.textContent = String(p.name || "");
    var detail = document.createElement("small");
    detail.textContent = String(p.price || "") + " " + String(p.currency || "") + " · " + String(p.sku || "");
    text.appendChild(name);
    text.appendChild(detail);
    button.appendChild(text);
    return button;
  }

  function showList(picker, list, products) {
    list.textContent = "";
    if (!products.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = picker.getAttribute("data-i18n-none") || "";
      list.appendChild(none);
      return;
    }
    products.forEach(function (p) {
      var li = document.createElement("li");
      li.appendChild(pickButton(p));
      list.appendChild(li);
    });
  }

  function showOptions(select, products) {
    var chosen = select.value;
    var keep = Array.prototype.filter.call(select.options, function (o) { return o.value === "" || o.value === chosen; });
    select.textContent = "";
    keep.forEach(function (o) { select.appendChild(o); });
    products.forEach(function (p) {
      if (String(p.id) === chosen) return;
      var option = document.createElement("option");
      option.value = String(p.id);
      option.textContent = label(p);
      select.appendChild(option);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-product-picker]"), function (picker) {
    var search = picker.querySelector("[data-product-search]");
    var list = picker.querySelector("[data-product-results]");
    var select = picker.querySelector("[data-product-select]");
    var url = picker.getAttribute("data-pick-url");
    if (!search || !url || (!list && !select)) return;
    var asked = 0;
    function find() {
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(search.value.trim()),
        { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (ticket !== asked || !data || !Array.isArray(data.results)) return;
          if (select) showOptions(select, data.results);
          else showList(picker, list, data.results);
        })
        .catch(function () {});
    }
    search.addEventListener("input", debounce(find, 250));
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); find(); }
    });
  });
})();

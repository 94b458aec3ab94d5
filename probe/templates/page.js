// probe's page script: sorting, search and filters for tables marked "interactive".
// It reads only data attributes and text content and never inserts markup.
"use strict";
(function () {
  function sortKey(tbody, key, kind) {
    var value = tbody.dataset[key] || "";
    if (kind === "number") {
      var parsed = parseFloat(value);
      return isNaN(parsed) ? -Infinity : parsed;
    }
    return value.toLowerCase();
  }

  function sortTable(table, header) {
    var key = header.dataset.sortKey;
    var kind = header.dataset.sortKind;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var bodies = Array.prototype.slice.call(table.tBodies);
    bodies.sort(function (a, b) {
      var x = sortKey(a, key, kind);
      var y = sortKey(b, key, kind);
      var order = 0;
      if (x < y) { order = -1; }
      if (x > y) { order = 1; }
      return ascending ? order : -order;
    });
    bodies.forEach(function (tbody) { table.appendChild(tbody); });
  }

  function readState() {
    var state = {};
    new URLSearchParams(location.hash.slice(1)).forEach(function (value, name) { state[name] = value; });
    return state;
  }

  function writeState(state) {
    var params = new URLSearchParams();
    Object.keys(state).forEach(function (name) { if (state[name]) { params.set(name, state[name]); } });
    try { history.replaceState(null, "", "#" + params.toString()); } catch (ignored) { /* file: URLs may refuse */ }
  }

  function tagsOf(tbody) {
    try { return JSON.parse(tbody.dataset.tags || "[]"); } catch (ignored) { return []; }
  }

  function applyFilters(table, controls) {
    var state = {};
    controls.querySelectorAll("[data-filter]").forEach(function (input) { state[input.dataset.filter] = input.value; });
    var text = (state.text || "").toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies, function (tbody) {
      var visible = (!text || tbody.textContent.toLowerCase().indexOf(text) >= 0)
        && (!state.tag || tagsOf(tbody).indexOf(state.tag) >= 0)
        && (!state.outcome || (tbody.dataset.outcomes || "").split(" ").indexOf(state.outcome) >= 0);
      tbody.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var count = controls.querySelector("[data-count]");
    if (count) { count.textContent = shown + " of " + table.tBodies.length + " shown"; }
    writeState(state);
  }

  function setUpControls(controls) {
    var table = document.getElementById(controls.dataset.controls);
    if (!table) { return; }
    var state = readState();
    controls.querySelectorAll("[data-filter]").forEach(function (input) {
      var wanted = state[input.dataset.filter];
      if (wanted && (input.tagName !== "SELECT" || input.querySelector("option[value='" + CSS.escape(wanted) + "']"))) {
        input.value = wanted;
      }
      input.addEventListener("input", function () { applyFilters(table, controls); });
    });
    applyFilters(table, controls);
  }

  function setUpTable(table) {
    table.querySelectorAll("th[data-sort-key] button.sort").forEach(function (button) {
      button.addEventListener("click", function () { sortTable(table, button.parentElement); });
    });
    table.querySelectorAll("button.expand").forEach(function (button) {
      button.addEventListener("click", function () {
        var detail = button.closest("tbody").querySelector("tr.detail");
        detail.hidden = !detail.hidden;
        button.setAttribute("aria-expanded", String(!detail.hidden));
        button.textContent = detail.hidden ? "show" : "hide";
      });
    });
  }

  document.querySelectorAll("table.interactive").forEach(setUpTable);
  document.querySelectorAll("[data-controls]").forEach(setUpControls);
  document.body.dataset.ready = "true";
})();

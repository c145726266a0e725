/* The case page remembers which sections the caseworker keeps open (in this browser only).
 * A section holding an error is always shown open. */
(function () {
  "use strict";
  var KEY = "registry.caseSections";

  function load() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function save(state) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      /* storage full or disabled: the page works without remembering */
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var state = load();
    var sections = document.querySelectorAll("details.case-section");
    var anyError = false;
    sections.forEach(function (section) {
      if (section.dataset.errors) {
        anyError = true;
        return;
      }
      if (Object.prototype.hasOwnProperty.call(state, section.id)) {
        section.open = Boolean(state[section.id]);
      }
    });
    if (window.location.hash) {
      var target = document.getElementById(window.location.hash.slice(1));
      var holder = target && target.closest("details.case-section");
      if (holder) {
        holder.open = true;
      }
    }
    sections.forEach(function (section) {
      section.addEventListener("toggle", function () {
        if (anyError && section.dataset.errors) {
          return;
        }
        var current = load();
        current[section.id] = section.open;
        save(current);
      });
    });
  });
})();

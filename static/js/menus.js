// Menus under our Content Security Policy (no inline script): the phone's menu button, and the
// People page's options menus (the ⋮ icon).
//
// Both follow the WAI-ARIA disclosure pattern rather than the menu-button pattern: the options
// hold links, forms and a select, which role="menu" may not contain, and a disclosure keeps
// screen readers in their ordinary reading mode. The options menus are <details> elements, so
// they open and close without script too; this adds what people expect from a menu: Escape
// closes it and puts the focus back on its button, the arrow keys (and Home, End) move between
// its items, a click elsewhere or opening another menu closes it. Without script the phone's
// menu simply stays open (the stylesheet folds it only when script runs: static/js/early.js).
"use strict";

(function () {
  function siteMenu() {
    var button = document.querySelector("[data-menu-button]");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) {
      return;
    }
    function set(open) {
      menu.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!menu.contains(event.target) && !button.contains(event.target)) {
        set(false);
      }
    });
  }

  function items(details) {
    return Array.prototype.slice.call(details.querySelectorAll(".options-list a[href], .options-list button, .options-list select"));
  }

  function optionsMenus() {
    var menus = Array.prototype.slice.call(document.querySelectorAll("details[data-options-menu]"));
    menus.forEach(function (details) {
      var summary = details.querySelector("summary");
      details.addEventListener("toggle", function () {
        if (details.open) {
          menus.forEach(function (other) {
            if (other !== details) {
              other.open = false;
            }
          });
        }
      });
      details.addEventListener("keydown", function (event) {
        var list = items(details);
        var index = list.indexOf(document.activeElement);
        if (event.key === "Escape" && details.open) {
          details.open = false;
          summary.focus();
          event.preventDefault();
          return;
        }
        // A select uses the arrow keys itself.
        if (document.activeElement && document.activeElement.tagName === "SELECT") {
          return;
        }
        var next = null;
        if (event.key === "ArrowDown") {
          next = index < 0 ? 0 : Math.min(index + 1, list.length - 1);
        } else if (event.key === "ArrowUp") {
          next = index <= 0 ? 0 : index - 1;
        } else if (event.key === "Home" && index >= 0) {
          next = 0;
        } else if (event.key === "End" && index >= 0) {
          next = list.length - 1;
        }
        if (next !== null && list.length) {
          details.open = true;
          list[next].focus();
          event.preventDefault();
        }
      });
    });
    document.addEventListener("click", function (event) {
      menus.forEach(function (details) {
        if (details.open && !details.contains(event.target)) {
          details.open = false;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    siteMenu();
    optionsMenus();
  });
})();

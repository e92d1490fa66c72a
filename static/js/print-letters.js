// The pairing letters' Print button (a file of its own: the CSP refuses inline script).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-letters");
  if (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  }
});

// The "Pair with Observer" dialog: one button copies the pairing code to the clipboard.
//
// The button starts with the focus, so that a screen reader entering the dialog reads its name and
// description, which include the code. "Copied" appears beside the button in a status region, so
// it is both seen and announced. This is a file of its own because the CSP refuses inline script.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var code = document.getElementById("pairing-code");
  var button = document.getElementById("copy-code");
  var status = document.getElementById("copy-status");
  if (!code || !button || !status || !navigator.clipboard) {
    return; // No clipboard here (plain HTTP other than localhost): the code can still be selected.
  }
  button.closest(".copy-row").hidden = false;
  button.focus();
  button.addEventListener("click", function () {
    status.textContent = "";
    navigator.clipboard.writeText(code.textContent.trim()).then(
      function () {
        status.textContent = button.dataset.copied;
      },
      function () {
        status.textContent = button.dataset.failed;
      }
    );
  });
});

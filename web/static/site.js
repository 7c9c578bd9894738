// Progressive enhancement only: every feature works without JavaScript.
// No data is read from inline scripts; everything comes from the DOM.
(function () {
  "use strict";
  // Filters apply as soon as a box is ticked (the Apply button stays for no-JS users).
  document.querySelectorAll("form.filters[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function () { form.submit(); });
  });
  // Copy buttons next to commands.
  document.querySelectorAll("button.copy[data-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-target"));
      if (!target || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        var label = button.textContent;
        button.textContent = "copied";
        setTimeout(function () { button.textContent = label; }, 1200);
      });
    });
  });
  // Compare page: selecting models in the list navigates.
  document.querySelectorAll("select[data-navigate]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();

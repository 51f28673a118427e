// Docketflow console: progressive enhancement only; every page works without this file.
"use strict";
document.addEventListener("submit", function (event) {
  // Progress state: one click, one request; the button says what is happening.
  var form = event.target;
  var button = form.querySelector("button[type=submit]");
  if (!button || form.dataset.submitted) {
    if (form.dataset.submitted) { event.preventDefault(); }
    return;
  }
  form.dataset.submitted = "1";
  form.setAttribute("aria-busy", "true");
  if (form.dataset.busy) { button.textContent = form.dataset.busy; }
  button.disabled = true;
});
window.addEventListener("pageshow", function () {
  // Coming back with the browser's Back button: forms are usable again.
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = false; }
  });
});
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-copy]");
  if (!target) { return; }
  var input = document.getElementById(target.dataset.copy);
  input.select();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(input.value).then(function () { target.textContent = "Copied"; });
  }
});
document.addEventListener("DOMContentLoaded", function () {
  // Put keyboard focus on a form error so screen readers announce it.
  var error = document.getElementById("form-error");
  if (error) { error.focus(); }
});

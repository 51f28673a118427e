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
  // A disabled button's name=value is not sent: keep the clicked one's (Approve / Request changes).
  var submitter = event.submitter;
  if (submitter && submitter.name) {
    var keep = document.createElement("input");
    keep.type = "hidden"; keep.name = submitter.name; keep.value = submitter.value;
    form.appendChild(keep);
  }
  var shown = submitter || button;
  if (form.dataset.busy) { shown.textContent = form.dataset.busy; }
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
});
window.addEventListener("pageshow", function () {
  // Coming back with the browser's Back button: forms are usable again.
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
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

// ---------------------------------------------------------------- helpers
function csrfToken() {
  var input = document.querySelector("input[name=csrf]");
  return input ? input.value : "";
}
function sendJson(method, url, body) {
  return fetch(url, {
    method: method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF": csrfToken() },
    body: JSON.stringify(body)
  });
}
function clockTime(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
}

// ---------------------------------------------------------------- lease heartbeat
// The open task page renews its claim's lease (a third of the lease, at most every minute) and
// warns before the lease could lapse when renewals fail (the network or the server is down).
document.addEventListener("DOMContentLoaded", function () {
  var lease = document.getElementById("lease");
  if (!lease) { return; }
  var url = window.location.pathname.replace(/\/$/, "") + "/heartbeat";
  var expires = lease.dataset.expires ? new Date(lease.dataset.expires) : null;
  var generation = parseInt(lease.dataset.generation, 10);
  var lost = false;
  function show(text, warn) {
    lease.textContent = text;
    lease.classList.toggle("warn", !!warn);
    lease.setAttribute("role", warn ? "alert" : "status");
  }
  function beat() {
    if (lost) { return; }
    sendJson("POST", url, { generation: generation }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok && answer.body.held) {
        expires = new Date(answer.body.lease_expires_at);
        show("Your claim is kept while this page is open (renewed " + clockTime(new Date()) + ").", false);
      } else {
        lost = true;
        show("Your claim lapsed or was reassigned. What you typed is saved as a draft: reload to claim it again.", true);
        var submit = document.getElementById("complete");
        if (submit) { submit.disabled = true; }
      }
    }).catch(function () { warnIfClose(); });
  }
  function warnIfClose() {
    if (!expires || lost) { return; }
    var left = (expires - new Date()) / 1000;
    if (left < 300) {
      show("Could not reach the server to keep your claim: it lapses in " + Math.max(0, Math.round(left / 60)) +
        " min unless the connection comes back. Your typing is kept as a draft.", true);
    }
  }
  var every = 60;
  if (expires) { every = Math.max(5, Math.min(60, (expires - new Date()) / 3000)); }
  beat();
  window.setInterval(beat, every * 1000);
  window.setInterval(warnIfClose, 15000);
});

// ---------------------------------------------------------------- form drafts
// What is typed is saved on the server a second after typing stops, so a reload, a crash or a
// lapsed claim loses nothing.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-draft]");
  if (!form) { return; }
  var status = document.getElementById("draft-status");
  var url = window.location.pathname.replace(/\/$/, "") + "/draft";
  var timer = null;
  function save() {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf" && name !== "generation" && typeof value === "string") { fields[name] = value; }
    });
    sendJson("PUT", url, { fields: fields }).then(function (response) {
      if (response.ok && status) { status.textContent = "Draft saved " + clockTime(new Date()) + "."; }
    }).catch(function () {
      if (status) { status.textContent = "Draft not saved: no connection. Keep this page open."; }
    });
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 800);
  });
});

// ---------------------------------------------------------------- field checks in plain words
function fieldMessage(input) {
  var v = input.validity;
  if (v.valueMissing) { return "This is required."; }
  if (v.tooShort) { return "Enter at least " + input.getAttribute("minlength") + " characters."; }
  if (v.tooLong) { return "Use at most " + input.getAttribute("maxlength") + " characters."; }
  if (v.rangeUnderflow) { return "Enter " + input.getAttribute("min") + " or more."; }
  if (v.rangeOverflow) { return "Enter " + input.getAttribute("max") + " or less."; }
  if (v.stepMismatch) { return "Enter a whole number."; }
  if (v.badInput) { return "Enter a number."; }
  if (v.typeMismatch) { return input.type === "email" ? "Enter an email address, like name@example.com." : "Use the expected format."; }
  if (v.patternMismatch) { return "Use the expected format."; }
  if (v.customError) { return input.validationMessage; }
  return "";
}
function checkBounds(input) {
  input.setCustomValidity("");
  if (input.value === "" || input.validity.badInput) { return; }
  var n = parseFloat(input.value);
  if (input.dataset.above !== undefined && !(n > parseFloat(input.dataset.above))) {
    input.setCustomValidity("Enter a number above " + input.dataset.above + ".");
  }
  if (input.dataset.below !== undefined && !(n < parseFloat(input.dataset.below))) {
    input.setCustomValidity("Enter a number below " + input.dataset.below + ".");
  }
}
function showFieldError(input) {
  var box = document.getElementById(input.id + "-error");
  if (!box) { return; }
  var message = input.checkValidity() ? "" : fieldMessage(input);
  box.textContent = message;
  box.hidden = !message;
  if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
}
document.addEventListener("input", function (event) {
  var input = event.target;
  if (input.matches && input.matches("[data-above],[data-below]")) { checkBounds(input); }
  if (input.id && document.getElementById(input.id + "-error") && input.getAttribute("aria-invalid")) { showFieldError(input); }
});
document.addEventListener("invalid", function (event) {
  // Our sentence beside the field instead of the browser's bubble.
  event.preventDefault();
  showFieldError(event.target);
  var first = event.target.form && event.target.form.querySelector(":invalid");
  if (first === event.target) { first.focus(); }
}, true);
document.addEventListener("submit", function (event) {
  event.target.querySelectorAll("[data-above],[data-below]").forEach(checkBounds);
}, true);

// ---------------------------------------------------------------- live updates
// Pages marked data-live-page re-read themselves every 20 s and swap each [data-live] section,
// unless the user is working inside it (focus, a ticked box); a marker says when.
document.addEventListener("DOMContentLoaded", function () {
  if (!document.querySelector("[data-live-page]")) { return; }
  var marker = document.getElementById("live-marker");
  function busy(section) {
    return section.contains(document.activeElement) || section.querySelector("input[type=checkbox]:checked");
  }
  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } }).then(function (response) {
      if (!response.ok || response.redirected) { throw new Error("not refreshed"); }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-live][id]").forEach(function (section) {
        var next = fresh.getElementById(section.id);
        if (next && !busy(section) && next.innerHTML !== section.innerHTML) { section.innerHTML = next.innerHTML; }
      });
      if (marker) { marker.textContent = "Updated " + clockTime(new Date()); }
    }).catch(function () {
      if (marker) { marker.textContent = "Not updated: no connection"; }
    });
  }
  window.setInterval(refresh, 20000);
  if (marker) { marker.textContent = "Updated " + clockTime(new Date()); }
});

// ---------------------------------------------------------------- keyboard shortcuts
// The clerk's loop without the mouse: n claims the next task, Ctrl+Enter completes,
// b goes to the send-back reason. Letters are ignored while typing in a field.
document.addEventListener("keydown", function (event) {
  var typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    var complete = document.getElementById("complete");
    if (complete && !complete.disabled) { event.preventDefault(); complete.form.requestSubmit(complete); }
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
  if (event.key === "n") {
    var next = document.getElementById("claim-next");
    if (next) { event.preventDefault(); next.form.requestSubmit(next); }
  } else if (event.key === "b") {
    var reason = document.getElementById("reason");
    if (reason) { event.preventDefault(); reason.focus(); }
  }
});

// ---------------------------------------------------------------- saved views (this browser)
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("saved-views");
  if (!box) { return; }
  var key = "docketflow.queue.views";
  var list = document.getElementById("view-list");
  function load() { try { return JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
  function draw() {
    list.innerHTML = "";
    load().forEach(function (view, index) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = window.location.pathname + (view.query ? "?" + view.query : "");
      link.textContent = view.name;
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "link"; drop.textContent = "delete";
      drop.setAttribute("aria-label", "Delete the view " + view.name);
      drop.addEventListener("click", function () {
        var views = load(); views.splice(index, 1);
        window.localStorage.setItem(key, JSON.stringify(views)); draw();
      });
      item.appendChild(link); item.appendChild(document.createTextNode(" ")); item.appendChild(drop);
      list.appendChild(item);
    });
  }
  document.getElementById("save-view").addEventListener("click", function () {
    var name = document.getElementById("view-name").value.trim();
    if (!name) { return; }
    var views = load().filter(function (v) { return v.name !== name; });
    views.push({ name: name, query: box.dataset.query || "" });
    window.localStorage.setItem(key, JSON.stringify(views)); draw();
  });
  draw();
});

// assistdesk: the only script besides htmx. Every page works without it;
// it adds what a technician on the phone should not have to do by hand.
(function () {
  "use strict";

  // The technician's time zone, so that the server writes times in it.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.split("; ").indexOf("assistdesk_tz=" + zone) < 0) {
      document.cookie = "assistdesk_tz=" + zone + "; path=/; max-age=31536000; samesite=lax" +
        (location.protocol === "https:" ? "; secure" : "");
    }
  } catch (e) { /* no zone: times stay in UTC */ }

  // Copy a link for a ticket, or the details for support ([data-copy-text]).
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-copy-text]");
    if (!el) return;
    event.preventDefault();
    var text = el.getAttribute("data-copy-text");
    var label = el.getAttribute("data-label") || el.textContent;
    el.setAttribute("data-label", label);
    var done = function () {
      el.textContent = "Copied";
      setTimeout(function () { el.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { copyByHand(text); done(); });
    } else {
      copyByHand(text);
      done();
    }
  });

  function copyByHand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.className = "offscreen";
    area.setAttribute("readonly", "");
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  // Seconds of a live request keep counting between two answers from the
  // server ([data-elapsed] holds the seconds at the last one).
  function seconds(s) {
    if (s < 60) return s + " s";
    return Math.floor(s / 60) + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
  }
  setInterval(function () {
    document.querySelectorAll("[data-elapsed]").forEach(function (el) {
      if (!el.offsetParent) return; // not shown
      var s = +el.getAttribute("data-elapsed") + 1;
      el.setAttribute("data-elapsed", s);
      el.textContent = seconds(s);
    });
  }, 1000);

  // A device's button waits while its latest request is under way, and
  // focus never drops to the page when the button it was on is held.
  function hold(block) {
    var status = block.querySelector(".outcome");
    var live = status && status.querySelector("[data-live]");
    block.querySelectorAll("button[data-busy]").forEach(function (button) {
      button.disabled = !!live;
      button.textContent = button.getAttribute(live ? "data-busy" : "data-idle");
    });
    // After the technician's own request, focus goes to its outcome if the
    // button it was on was held; a refresh of the status moves nothing.
    if (block.hasAttribute("data-requested") && status &&
        (document.activeElement === document.body || !document.activeElement)) {
      status.focus();
    }
    block.removeAttribute("data-requested");
  }
  ["htmx:afterRequest", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var block = event.target.closest && event.target.closest(".assist");
      if (block) hold(block);
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var block = event.target.closest && event.target.closest(".assist");
    if (!block || !event.target.matches("form")) return;
    block.setAttribute("data-requested", "");
    var counter = block.querySelector(".sending [data-elapsed]");
    counter.setAttribute("data-elapsed", "0");
    counter.textContent = seconds(0);
  });

  // A bar while the next page loads: Graph can take seconds to answer.
  document.addEventListener("click", function (event) {
    var a = event.target.closest("a[href]");
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
    if (a.hash && a.pathname === location.pathname && a.search === location.search) return;
    document.documentElement.classList.add("navigating");
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!event.defaultPrevented && !form.hasAttribute("hx-get") && !form.hasAttribute("hx-post")) {
      document.documentElement.classList.add("navigating");
    }
  });
  window.addEventListener("pageshow", function () {
    document.documentElement.classList.remove("navigating");
  });

  // Dialogs open and close through invoker commands; browsers without
  // them get the same from here.
  if (!("commandForElement" in HTMLButtonElement.prototype)) {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button[commandfor]");
      var dialog = button && document.getElementById(button.getAttribute("commandfor"));
      if (!dialog) return;
      var command = button.getAttribute("command");
      if (command === "show-modal") dialog.showModal();
      if (command === "close") dialog.close();
    });
  }
})();

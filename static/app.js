// assistdesk: the only script besides htmx. Every page works without it;
// it adds what a technician on the phone should not have to do by hand.
(function () {
  "use strict";

  // Controls that need this script show; their plain-HTML stand-ins hide.
  document.documentElement.classList.add("js");

  // Words this script writes, in the page's language (the body carries them).
  var words = document.body.dataset;

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
      el.textContent = words.copied;
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
    var m = Math.floor(s / 60);
    var format = s < 60 ? words.seconds : s % 60 ? words.minutesSeconds : words.minutes;
    return format.replace("{m}", m).replace("{s}", s % 60);
  }
  setInterval(function () {
    document.querySelectorAll("[data-elapsed]").forEach(function (el) {
      if (!el.offsetParent) return; // not shown
      var s = +el.getAttribute("data-elapsed") + 1;
      el.setAttribute("data-elapsed", s);
      el.textContent = seconds(s);
    });
  }, 1000);

  // What a device's outcome says now, for its live region: the notice of
  // a request not sent again, or the headline of the request shown.
  function outcomeOf(block) {
    var status = block.querySelector(".outcome");
    var shown = status && (status.querySelector(".duplicate > .headline") ||
      status.querySelector(".request .headline") || status.querySelector(".problem-notice"));
    if (!shown) return null;
    var copy = shown.cloneNode(true);
    copy.querySelectorAll("[aria-hidden]").forEach(function (el) { el.remove(); });
    var request = status.querySelector(".request");
    return {
      key: (request ? request.getAttribute("data-attempt-id") + " " + request.getAttribute("data-phase") : "") +
        (status.querySelector(".duplicate") ? " duplicate" : ""),
      text: copy.textContent.replace(/\s+/g, " ").trim()
    };
  }

  // Each outcome is said once: the outcome refreshes itself every two
  // seconds, and only a new request or a new phase is news.
  function announce(block) {
    var now = outcomeOf(block);
    var region = block.querySelector("[data-announce]");
    if (!now || !region || block.getAttribute("data-announced") === now.key) return;
    block.setAttribute("data-announced", now.key);
    region.textContent = now.text;
  }
  document.querySelectorAll(".assist").forEach(function (block) {
    var now = outcomeOf(block);
    if (now) block.setAttribute("data-announced", now.key); // shown with the page, not news
  });

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
    announce(block);
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
    // The button says the request is under way while the answer comes.
    block.querySelectorAll("button[data-busy]").forEach(function (button) {
      button.textContent = button.getAttribute("data-busy");
    });
    var counter = block.querySelector(".sending [data-elapsed]");
    counter.setAttribute("data-elapsed", "0");
    counter.textContent = seconds(0);
  });

  // The search says it is busy while Graph answers.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.matches && event.target.matches("form.search")) {
      var results = document.getElementById("results");
      if (results) results.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target.matches && event.target.matches("form.search")) {
      var results = document.getElementById("results"); // the new list, or the old one on failure
      if (results) results.removeAttribute("aria-busy");
    }
  });

  // Keyboard: "/" goes to the search field; in it and in the results the
  // arrow keys move through the hits, and Enter opens one.
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var field = document.getElementById("q");
    if (event.key === "/" && !typing(document.activeElement)) {
      event.preventDefault();
      if (field) {
        field.focus();
        field.select();
      } else {
        location.href = "/";
      }
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var hits = Array.prototype.slice.call(document.querySelectorAll("#results .hits a"));
    var at = hits.indexOf(document.activeElement);
    if (!hits.length || (document.activeElement !== field && at < 0)) return;
    event.preventDefault();
    if (event.key === "ArrowDown") {
      hits[Math.min(at + 1, hits.length - 1)].focus();
    } else if (at > 0) {
      hits[at - 1].focus();
    } else if (field) {
      field.focus();
    }
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

// erfa's own script: the composer of replies and new discussions (form[data-composer]).
// Without it every form still posts, the preview button loads a page and the reply link
// reloads with a quote. With it: @mention suggestions in the text area (the WAI-ARIA
// combobox pattern, fed by the group's suggestions page), quoting a post or a selection
// in place, Ctrl/Cmd+Enter to send, and unsent text kept per discussion (or per group for
// a new discussion) in localStorage until it is sent. Words shown to people come from
// the page (data- attributes), so they are in the reader's language.
// Live replies: an open discussion page (`[data-live]`) listens to its event stream and
// appends each new reply as the server rendered it, announced politely; without the
// script the page simply shows new replies on the next load. A group page
// (`[data-live-group]`) listens the same way and shows "N new discussions" as a link that
// loads the page again.
"use strict";

(() => {
  const HANDLE = /^@[a-z0-9][a-z0-9.-]{0,28}[a-z0-9]$/;
  // "@" and what follows it up to the caret; as in domain/notifications.py, not inside a
  // word or an address (karin@nora.se mentions nobody).
  const TOKEN = /(?:^|[^\p{L}\p{N}_.@/+-])@([\p{L}\p{N}][\p{L}\p{N}.-]*)$/u;
  const MIN_QUERY = 2;
  const MAX_QUERY = 30;
  const DELAY_MS = 200;
  const DRAFT_PREFIX = "erfa:draft:";
  const DRAFT_DAYS = 30;

  const ready = new WeakSet(); // composers set up: a history restore brings new elements
  const touched = new WeakSet(); // text areas the writer has been in: quotes go to the caret
  const combos = new WeakMap(); // text area -> its suggestion state

  // --- Drafts ------------------------------------------------------------------------

  function storage() {
    try {
      return window.localStorage;
    } catch {
      return null; // storage switched off: the composer works, it only forgets
    }
  }

  function readDraft(key) {
    const store = storage();
    if (!store) return null;
    try {
      const draft = JSON.parse(store.getItem(DRAFT_PREFIX + key) || "null");
      if (draft && Date.now() - draft.at < DRAFT_DAYS * 86_400_000) return draft;
      store.removeItem(DRAFT_PREFIX + key);
    } catch {
      store.removeItem(DRAFT_PREFIX + key);
    }
    return null;
  }

  function forgetDraft(key) {
    storage()?.removeItem(DRAFT_PREFIX + key);
  }

  function keepDraft(form) {
    const store = storage();
    const key = form.dataset.draft;
    if (!store || !key) return;
    const body = textArea(form).value;
    const title = form.elements.namedItem("title")?.value ?? "";
    if (!body.trim() && !title.trim()) {
      store.removeItem(DRAFT_PREFIX + key);
      return;
    }
    const replyTo = form.elements.namedItem("reply_to_id")?.value ?? "";
    const draft = { body, title, replyTo, at: Date.now() };
    try {
      store.setItem(DRAFT_PREFIX + key, JSON.stringify(draft));
    } catch {
      // Full or refused: the text is still in the form.
    }
  }

  function forgetOldDrafts() {
    const store = storage();
    if (!store) return;
    const keys = [];
    for (let i = 0; i < store.length; i += 1) {
      const key = store.key(i);
      if (key?.startsWith(DRAFT_PREFIX)) keys.push(key.slice(DRAFT_PREFIX.length));
    }
    keys.forEach(readDraft); // reading an expired draft removes it
  }

  function restoreDraft(form) {
    const draft = readDraft(form.dataset.draft);
    const area = textArea(form);
    const title = form.elements.namedItem("title");
    // Text the server sent back (a refused post, a quote) is the newer: it stays.
    if (!draft || area.value.trim() || title?.value.trim()) return;
    area.value = draft.body ?? "";
    if (title && draft.title) title.value = draft.title;
    if (draft.replyTo) replyTo(form, draft.replyTo);
    const details = form.closest("details");
    if (details) details.open = true;
    say(form, statusOf(form).dataset.restored);
  }

  // A form the server took (2xx: the reply in place, or the redirect to the new
  // discussion) forgets its draft before the answer is swapped in; a refusal (422, 429)
  // or a failure keeps it.
  document.addEventListener("htmx:beforeOnLoad", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.dataset.draft) return;
    const status = event.detail.xhr.status;
    if (status >= 200 && status < 300) forgetDraft(form.dataset.draft);
  });

  // --- Setting up --------------------------------------------------------------------

  function textArea(form) {
    return form.querySelector("textarea[data-mentions]");
  }

  function statusOf(form) {
    return form.querySelector(".composer-status");
  }

  function say(form, message) {
    const status = statusOf(form);
    if (status) status.textContent = message || "";
  }

  function setUp(form) {
    if (ready.has(form) || !textArea(form)) return;
    ready.add(form);
    const area = textArea(form);
    form.querySelectorAll("[data-composer-js][hidden]").forEach((hint) => {
      hint.hidden = false;
    });
    area.setAttribute("aria-keyshortcuts", "Control+Enter Meta+Enter");
    close(area); // a page restored from htmx's history may hold an open list
    restoreDraft(form);
  }

  function setUpWithin(root) {
    if (!(root instanceof Element || root instanceof Document)) return;
    if (root instanceof Element && root.matches("form[data-composer]")) setUp(root);
    root.querySelectorAll("form[data-composer]").forEach(setUp);
  }

  document.addEventListener("htmx:load", (event) => setUpWithin(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => setUpWithin(document));
  } else {
    setUpWithin(document);
  }
  forgetOldDrafts();

  // --- @mention suggestions: a combobox on the text area -------------------------------

  function combo(area) {
    let state = combos.get(area);
    if (!state) {
      state = { people: [], active: -1, token: null, timer: 0, request: null, found: new Map() };
      combos.set(area, state);
    }
    return state;
  }

  function listOf(area) {
    return document.getElementById(area.getAttribute("aria-controls"));
  }

  function tokenAt(area) {
    const caret = area.selectionStart;
    if (caret !== area.selectionEnd) return null;
    const found = TOKEN.exec(area.value.slice(Math.max(0, caret - 64), caret));
    if (!found) return null;
    const query = found[1];
    if (query.length < MIN_QUERY || query.length > MAX_QUERY) return null;
    return { start: caret - query.length - 1, end: caret, query };
  }

  function close(area) {
    const state = combo(area);
    clearTimeout(state.timer);
    state.request?.abort();
    state.request = null;
    state.people = [];
    state.active = -1;
    const list = listOf(area);
    if (list) {
      list.replaceChildren();
      list.hidden = true;
    }
    area.setAttribute("aria-expanded", "false");
    area.removeAttribute("aria-activedescendant");
  }

  function suggest(area) {
    const state = combo(area);
    const token = tokenAt(area);
    state.token = token;
    clearTimeout(state.timer);
    if (!token) {
      close(area);
      return;
    }
    const query = token.query.toLowerCase();
    const known = state.found.get(query);
    if (known) {
      show(area, known);
      return;
    }
    state.timer = setTimeout(() => ask(area, query), DELAY_MS);
  }

  // The group's suggestions page, as its htmx fragment: only who may read the group, no
  // addresses; rate-limited per official.
  function ask(area, query) {
    const state = combo(area);
    state.request?.abort();
    const request = new AbortController();
    state.request = request;
    const url = new URL(area.dataset.mentions, window.location.href);
    url.searchParams.set("q", query);
    url.searchParams.set("target", area.id);
    fetch(url, { headers: { "HX-Request": "true" }, signal: request.signal })
      .then(async (response) => {
        if (!response.ok && response.status !== 429) throw new Error(String(response.status));
        const found = people(await response.text());
        if (response.ok) state.found.set(query, found);
        if (state.token && state.token.query.toLowerCase() === query) show(area, found);
      })
      .catch((error) => {
        if (error.name === "AbortError") return;
        close(area);
        say(area.form, statusOf(area.form).dataset.failed);
      });
  }

  function people(html) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const found = [];
    page.querySelectorAll("button[data-mention]").forEach((button) => {
      const handle = button.dataset.mention;
      // Only an @handle goes into a post: never anything that looks like an address.
      if (HANDLE.test(handle)) found.push({ handle, label: button.textContent.trim() });
    });
    const note = page.querySelector("li.meta")?.textContent.trim() ?? "";
    return { people: found, note };
  }

  function show(area, found) {
    const state = combo(area);
    const list = listOf(area);
    state.people = found.people;
    state.active = -1;
    list.replaceChildren(
      ...found.people.map((person, index) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = String(index);
        const handle = document.createElement("span");
        handle.className = "meta";
        handle.textContent = person.handle;
        option.append(`${person.label} `, handle);
        return option;
      }),
    );
    const open = found.people.length > 0;
    list.hidden = !open;
    area.setAttribute("aria-expanded", String(open));
    area.removeAttribute("aria-activedescendant");
    const status = statusOf(area.form);
    if (!open) say(area.form, found.note);
    else if (found.people.length === 1) say(area.form, status.dataset.one);
    else say(area.form, status.dataset.many.replace("{count}", String(found.people.length)));
  }

  function move(area, step) {
    const state = combo(area);
    const count = state.people.length;
    state.active = state.active < 0 && step < 0 ? count - 1 : (state.active + step + count) % count;
    listOf(area)
      .querySelectorAll("[role=option]")
      .forEach((option, index) => {
        const chosen = index === state.active;
        option.setAttribute("aria-selected", String(chosen));
        if (chosen) {
          area.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
  }

  function pick(area, index) {
    const state = combo(area);
    const person = state.people[index];
    const token = state.token;
    close(area);
    if (!person || !token) return;
    const spaced = /\s/.test(area.value[token.end] ?? "");
    area.setRangeText(spaced ? person.handle : `${person.handle} `, token.start, token.end, "end");
    if (spaced) area.setSelectionRange(area.selectionEnd + 1, area.selectionEnd + 1);
    area.focus();
    say(area.form, "");
    keepDraft(area.form);
  }

  function onComboKey(event, area) {
    const state = combo(area);
    if (!state.people.length) return;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        move(area, event.key === "ArrowDown" ? 1 : -1);
        break;
      case "Enter":
      case "Tab":
        if (state.active >= 0) {
          event.preventDefault();
          pick(area, state.active);
        } else {
          close(area);
        }
        break;
      case "Escape":
        event.preventDefault();
        close(area);
        say(area.form, "");
        break;
      default:
    }
  }

  document.addEventListener("keydown", (event) => {
    const form = event.target.closest?.("form[data-composer]");
    if (!form || event.isComposing) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      const area = textArea(form);
      if (area) close(area);
      form.requestSubmit();
      return;
    }
    if (event.target === textArea(form)) onComboKey(event, event.target);
  });

  document.addEventListener("input", (event) => {
    const form = event.target.closest?.("form[data-composer]");
    if (!form) return;
    const area = textArea(form);
    if (event.target === area) {
      suggest(area);
      // Emptied, the reply answers no post in particular any more.
      const quoted = form.elements.namedItem("reply_to_id");
      if (quoted && !area.value.trim()) quoted.value = "";
    }
    keepDraft(form);
  });

  document.addEventListener("keyup", (event) => {
    const area = event.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.dataset.mentions) return;
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) suggest(area);
  });

  document.addEventListener("focusin", (event) => {
    if (event.target instanceof HTMLTextAreaElement && event.target.dataset.mentions) {
      touched.add(event.target);
    }
  });

  document.addEventListener("focusout", (event) => {
    if (event.target instanceof HTMLTextAreaElement && event.target.dataset.mentions) {
      close(event.target);
    }
  });

  // An option is chosen by pointer too: the text area keeps the focus meanwhile (and a
  // post keeps its selected text while "Quote selection" is pressed).
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest?.(".composer-mentions, [data-quote-selection]")) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", (event) => {
    const option = event.target.closest?.(".composer-mentions [role=option]");
    if (!option) return;
    const area = document.querySelector(`[aria-controls="${option.parentElement.id}"]`);
    if (area) pick(area, Number(option.dataset.index));
  });

  // --- Quoting in place ----------------------------------------------------------------

  function replyForm() {
    return document.querySelector('form[data-composer="reply"]');
  }

  function replyTo(form, postId) {
    let field = form.elements.namedItem("reply_to_id");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "reply_to_id";
      form.prepend(field);
    }
    field.value = postId;
  }

  // The quote goes where the writer left the caret, or after their text if they have not
  // been in it yet; always on a line of its own.
  function insertQuote(form, text, postId) {
    const area = textArea(form);
    if (text) {
      const start = touched.has(area) ? area.selectionStart : area.value.length;
      const end = touched.has(area) ? area.selectionEnd : start;
      const before = area.value.slice(0, start);
      let gap = "\n\n";
      if (!before || before.endsWith("\n\n")) gap = "";
      else if (before.endsWith("\n")) gap = "\n";
      area.setRangeText(gap + text, start, end, "end");
      replyTo(form, postId);
      keepDraft(form);
    }
    area.focus();
  }

  // The post's own reply link, in place: the same quote as the reloaded form would hold.
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest?.("a[data-quote]");
      const form = replyForm();
      if (!link || !form) return;
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return; // a new tab or window: the link as it is
      }
      event.preventDefault();
      event.stopPropagation(); // before htmx's boost would load the page
      fetch(link.dataset.quote, { headers: { "HX-Request": "true" } })
        .then((response) => {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then((text) => insertQuote(form, text, link.dataset.post))
        .catch(() => {
          window.location.assign(link.href);
        });
    },
    true,
  );

  // "Quote selection": shown in a post while text of it is selected, as the server quotes
  // ("Name:" and the lines behind "> "), with the author's name as the post shows it.
  let selected = null;

  function selectionInPost() {
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    let node = selection.getRangeAt(0).commonAncestorContainer;
    if (!(node instanceof Element)) node = node.parentElement;
    const body = node?.closest(".post-body");
    const post = body?.closest("article.post");
    const text = selection.toString().trim();
    if (!post || !text) return null;
    return { postId: post.id.replace(/^post-/, ""), text };
  }

  // The page has one "quote selection" button: it goes into the actions of the post whose
  // text is selected, and hides when nothing is.
  document.addEventListener("selectionchange", () => {
    const button = document.querySelector("button[data-quote-selection]");
    if (!button) return;
    const found = replyForm() ? selectionInPost() : null;
    if (found) selected = found;
    if (!found) {
      if (button !== document.activeElement) button.hidden = true; // keep what has the focus
      return;
    }
    const actions = document.getElementById(`post-${found.postId}`)?.querySelector(".post-actions");
    if (!actions) return;
    if (button.parentElement !== actions) actions.append(button);
    button.dataset.quoteSelection = found.postId;
    button.hidden = false;
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("button[data-quote-selection]");
    const form = replyForm();
    if (!button || !form) return;
    const postId = button.dataset.quoteSelection;
    const found = selectionInPost() ?? selected;
    if (!found || found.postId !== postId) return;
    const author = document.getElementById(`post-${postId}-by`)?.querySelector("strong");
    const name = author?.textContent.trim() ?? "";
    const lines = found.text.split(/\r?\n/).map((line) => `> ${line}`);
    insertQuote(form, `${name}:\n${lines.join("\n")}\n\n`, postId);
    document.getSelection()?.removeAllRanges();
    selected = null;
    button.hidden = true;
  });
  // --- Live pages: Server-Sent Events from /t/{id}/live and /g/{slug}/live ------
  // One stream a page: a discussion's or group's own also carries the header's count of
  // unread notifications; any other page of a signed-in official opens /notifications/live.

  let live = null; // {element, source} of the page's stream
  let counting = null; // {url, source} of the header's own stream, on pages without one
  const RETRY_FULL_MS = 30_000; // the server was full (503): try again later

  function stopLive() {
    live?.source.close();
    clearTimeout(live?.retry);
    live = null;
  }

  function stopCounting() {
    counting?.source.close();
    clearTimeout(counting?.retry);
    counting = null;
  }

  function countRegion() {
    return document.querySelector("[data-live-notifications]");
  }

  function showCount(html) {
    // The count as the header shows it, in the menu's summary and in the link.
    const before = Number(document.querySelector("[data-notification-count] .count")?.firstChild?.textContent ?? 0);
    for (const holder of document.querySelectorAll("[data-notification-count]")) {
      holder.querySelector(":scope > .count")?.remove();
      if (holder.lastChild?.nodeType === Node.TEXT_NODE) holder.lastChild.textContent = holder.lastChild.textContent.trimEnd();
      if (!html) continue;
      const template = document.createElement("template");
      template.innerHTML = html;
      holder.append(" ", template.content);
    }
    // Told when there is more to read, not when it was read elsewhere.
    const region = countRegion();
    const count = document.querySelector("[data-notification-count] .count");
    const now = Number(count?.firstChild?.textContent ?? 0);
    if (region && now > before) region.textContent = `${region.dataset.liveLabel ?? ""}: ${count.textContent}`;
  }

  function withCount(url) {
    if (!countRegion()) return url;
    const found = new URL(url, window.location.href);
    found.searchParams.set("notifications", "1");
    return found.pathname + found.search;
  }

  function appendReply(html) {
    const list = document.getElementById("post_list");
    if (!list) return;
    const template = document.createElement("template");
    template.innerHTML = html;
    const post = template.content.firstElementChild;
    if (!post?.id || document.getElementById(post.id)) return; // shown already: no duplicate
    const posts = list.querySelectorAll(":scope > article.post");
    const last = posts[posts.length - 1];
    if (last) last.after(post);
    else list.prepend(post);
    window.htmx?.process(post);
    const region = live?.element;
    const author = post.querySelector(`#${post.id}-by strong`)?.textContent.trim() ?? "";
    if (region) region.textContent = `${region.dataset.liveLabel ?? ""} ${author}`.trim();
  }

  function showNewDiscussions(element, html) {
    // The count since the page was rendered, as a link that loads the list again.
    const template = document.createElement("template");
    template.innerHTML = html;
    element.replaceChildren(template.content);
    window.htmx?.process(element);
  }

  function listen(element) {
    if (live?.element === element) return;
    stopLive();
    const source = new EventSource(withCount(element.dataset.live ?? element.dataset.liveGroup));
    live = { element, source, retry: 0 };
    source.addEventListener("notifications", (event) => showCount(event.data));
    source.addEventListener("post", (event) => {
      if (!document.body.contains(element)) return stopLive();
      appendReply(event.data);
    });
    source.addEventListener("discussions", (event) => {
      if (!document.body.contains(element)) return stopLive();
      showNewDiscussions(element, event.data);
    });
    source.addEventListener("end", () => {
      stopLive(); // the reader may no longer read it: the header still counts
      count();
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED || live?.source !== source) return;
      live.retry = setTimeout(() => {
        if (live?.source !== source) return;
        live = null;
        if (document.body.contains(element)) listen(element);
      }, RETRY_FULL_MS);
    });
  }

  function count() {
    // The header's own stream, while the page has none that carries the count.
    const region = countRegion();
    const url = region?.dataset.liveNotifications;
    if (!url || live || !("EventSource" in window)) return stopCounting();
    if (counting?.url === url) return; // the same official's count: the stream goes on
    stopCounting();
    const source = new EventSource(url);
    counting = { url, source, retry: 0 };
    source.addEventListener("notifications", (event) => showCount(event.data));
    source.addEventListener("end", stopCounting); // signed out
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED || counting?.source !== source) return;
      counting.retry = setTimeout(() => {
        if (counting?.source !== source) return;
        counting = null;
        count();
      }, RETRY_FULL_MS);
    });
  }

  function liveWithin(root) {
    if (live && !document.body.contains(live.element)) stopLive(); // another page now
    if (root instanceof Element || root instanceof Document) {
      const selector = "[data-live], [data-live-group]";
      const element = root instanceof Element && root.matches(selector) ? root : root.querySelector(selector);
      if (element && "EventSource" in window) listen(element);
    }
    count();
  }

  document.addEventListener("htmx:load", (event) => liveWithin(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => liveWithin(document));
  } else {
    liveWithin(document);
  }
})();

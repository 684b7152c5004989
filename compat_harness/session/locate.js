// In-page locator resolver for WebDriver engines. Mirrors the subset of Playwright's get_by_role /
// get_by_label / get_by_text semantics the suites use: implicit ARIA roles, accessible names
// (aria-labelledby > aria-label > label/alt/value/legend > content > title/placeholder), elements
// hidden from the accessibility tree excluded from role queries, whitespace-normalised matching
// that is a case-insensitive substring unless exact. tests/test_locate_parity.py checks it against
// Playwright on the reference app's pages.
(function () {
  const norm = (s) => (s || "").replace(/\s+/g, " ").trim();

  function matches(text, matcher, exact) {
    if (matcher === null || matcher === undefined) return true;
    text = norm(text);
    if (typeof matcher === "object" && matcher.regex !== undefined) {
      return new RegExp(matcher.regex, matcher.flags || "").test(text);
    }
    const wanted = norm(String(matcher));
    return exact ? text === wanted : text.toLowerCase().includes(wanted.toLowerCase());
  }

  const INPUT_ROLES = {
    button: "button", checkbox: "checkbox", image: "button", number: "spinbutton",
    radio: "radio", range: "slider", reset: "button", submit: "button",
  };
  const NAME_FROM_CONTENT = new Set([
    "button", "cell", "checkbox", "columnheader", "gridcell", "heading", "link", "menuitem",
    "menuitemcheckbox", "menuitemradio", "option", "radio", "row", "rowheader", "switch", "tab",
    "tooltip", "treeitem",
  ]);

  function implicitRole(el) {
    const tag = el.localName;
    switch (tag) {
      case "a": case "area": return el.hasAttribute("href") ? "link" : null;
      case "button": return "button";
      case "input": {
        const type = (el.getAttribute("type") || "text").toLowerCase();
        if (type === "hidden") return null;
        if (type === "search") return el.hasAttribute("list") ? "combobox" : "searchbox";
        if (["email", "tel", "text", "url", ""].includes(type)) return el.hasAttribute("list") ? "combobox" : "textbox";
        return INPUT_ROLES[type] || "textbox";
      }
      case "textarea": return "textbox";
      case "select": return el.multiple || el.size > 1 ? "listbox" : "combobox";
      case "option": return "option";
      case "h1": case "h2": case "h3": case "h4": case "h5": case "h6": return "heading";
      case "img": return el.getAttribute("alt") === "" ? "presentation" : "img";
      case "ul": case "ol": case "menu": return "list";
      case "li": return "listitem";
      case "nav": return "navigation";
      case "main": return "main";
      case "aside": return "complementary";
      case "header": return el.closest("article,aside,main,nav,section") ? null : "banner";
      case "footer": return el.closest("article,aside,main,nav,section") ? null : "contentinfo";
      case "form": return accessibleName(el, "form") ? "form" : null;
      case "section": return accessibleName(el, "region") ? "region" : null;
      case "article": return "article";
      case "dialog": return "dialog";
      case "fieldset": return "group";
      case "details": return "group";
      case "table": return "table";
      case "tr": return "row";
      case "td": return "cell";
      case "th": return "columnheader";
      case "p": return "paragraph";
      case "hr": return "separator";
      case "progress": return "progressbar";
      case "output": return "status";
      default: return null;
    }
  }

  function role(el) {
    const explicit = (el.getAttribute("role") || "").trim().split(/\s+/)[0];
    return explicit || implicitRole(el);
  }

  function hiddenForAria(el) {
    for (let e = el; e; e = e.parentElement) {
      if (e.getAttribute("aria-hidden") === "true") return true;
      const style = getComputedStyle(e);
      if (style.display === "none") return true;
      if (e === el && style.visibility === "hidden") return true;
    }
    return false;
  }

  function textOf(node) {
    // Text content as a screen reader would read it: hidden parts skipped, alt/aria-label used.
    let out = "";
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { out += child.data; continue; }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      if (["script", "style", "template", "noscript"].includes(child.localName)) continue;
      const style = getComputedStyle(child);
      if (style.display === "none" || child.getAttribute("aria-hidden") === "true") continue;
      if (child.hasAttribute("aria-label")) { out += " " + child.getAttribute("aria-label") + " "; continue; }
      if (child.localName === "img") { out += " " + (child.getAttribute("alt") || "") + " "; continue; }
      if (child.localName === "input" && ["button", "submit", "reset"].includes(child.type)) {
        out += " " + child.value + " "; continue;
      }
      const display = style.display;
      const block = display !== "inline" && display !== "contents";
      out += (block ? " " : "") + textOf(child) + (block ? " " : "");
    }
    return out;
  }

  function labelsText(el) {
    const labels = el.labels ? Array.from(el.labels) : [];
    return labels.map((l) => norm(textOf(l)));
  }

  function byIds(el, attr) {
    const ids = (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean);
    return ids.map((id) => document.getElementById(id)).filter(Boolean);
  }

  function accessibleName(el, forRole) {
    const labelledBy = byIds(el, "aria-labelledby");
    if (labelledBy.length) return norm(labelledBy.map((e) => textOf(e)).join(" "));
    const ariaLabel = norm(el.getAttribute("aria-label"));
    if (ariaLabel) return ariaLabel;
    const tag = el.localName;
    if (tag === "input" && ["button", "submit", "reset"].includes(el.type)) {
      return norm(el.value) || (el.type === "submit" ? "Submit" : el.type === "reset" ? "Reset" : "");
    }
    if (tag === "input" && el.type === "image") return norm(el.getAttribute("alt") || el.value || "Submit");
    if (["input", "select", "textarea", "meter", "output", "progress"].includes(tag)) {
      const labels = labelsText(el).filter(Boolean);
      if (labels.length) return norm(labels.join(" "));
    }
    if (tag === "fieldset") {
      const legend = el.querySelector(":scope > legend");
      if (legend) return norm(textOf(legend));
    }
    if (tag === "img" || tag === "area") {
      const alt = el.getAttribute("alt");
      if (alt) return norm(alt);
    }
    if (tag === "table") {
      const caption = el.querySelector(":scope > caption");
      if (caption) return norm(textOf(caption));
    }
    const r = forRole || role(el);
    if (r && NAME_FROM_CONTENT.has(r)) {
      const content = norm(textOf(el));
      if (content) return content;
    }
    return norm(el.getAttribute("title") || el.getAttribute("placeholder") || "");
  }

  function descendants(scope) {
    return Array.from(scope.querySelectorAll("*"));
  }

  function byRole(scope, q) {
    return descendants(scope).filter((el) => role(el) === q.value && !hiddenForAria(el) &&
      matches(accessibleName(el, q.value), q.name, q.exact));
  }

  function byLabel(scope, q) {
    return descendants(scope).filter((el) => {
      const candidates = labelsText(el);
      const labelledBy = byIds(el, "aria-labelledby");
      if (labelledBy.length) candidates.push(norm(labelledBy.map((e) => textOf(e)).join(" ")));
      if (el.hasAttribute("aria-label")) candidates.push(norm(el.getAttribute("aria-label")));
      return candidates.some((t) => t && matches(t, q.value, q.exact));
    });
  }

  function byText(scope, q) {
    const all = descendants(scope).filter((el) =>
      !["script", "style", "head", "title", "template", "noscript", "html", "body"].includes(el.localName));
    const hits = all.filter((el) => matches(textOf(el), q.value, q.exact) ||
      (el.localName === "input" && ["button", "submit"].includes(el.type) && matches(el.value, q.value, q.exact)));
    // The smallest elements holding the text, like Playwright's text engine.
    return hits.filter((el) => !hits.some((other) => other !== el && el.contains(other)));
  }

  function find(q) {
    const scopes = q.parent ? find(q.parent) : [document];
    let found = [];
    for (const scope of scopes) {
      let hits;
      if (q.kind === "role") hits = byRole(scope, q);
      else if (q.kind === "label") hits = byLabel(scope, q);
      else if (q.kind === "text") hits = byText(scope, q);
      else hits = Array.from(scope.querySelectorAll(q.value));
      if (q.has_text !== null && q.has_text !== undefined) {
        hits = hits.filter((el) => matches(textOf(el), q.has_text, false));
      }
      for (const h of hits) if (!found.includes(h)) found.push(h);
    }
    found.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    if (q.index !== null && q.index !== undefined) {
      const i = q.index < 0 ? found.length + q.index : q.index;
      found = found[i] ? [found[i]] : [];
    }
    return found;
  }

  function visible(el) {
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0 && getComputedStyle(el).visibility !== "hidden";
  }

  function state(el) {
    const r = el.getBoundingClientRect();
    return {
      visible: visible(el),
      enabled: !(el.disabled || el.closest("fieldset[disabled]") || el.getAttribute("aria-disabled") === "true"),
      tag: el.localName,
      type: (el.getAttribute("type") || "").toLowerCase(),
      box: { x: r.x, y: r.y, width: r.width, height: r.height },
    };
  }

  window.__compat = { find, state, visible, accessibleName, role, textOf: (el) => norm(textOf(el)) };
})();

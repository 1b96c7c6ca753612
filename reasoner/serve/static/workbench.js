// The dorsum workbench: sends the case built from the generated form to POST /classify?proof=true
// and shows the result, its proof (a DAG: each shared step once, referred back to) and the path
// the case took through the pathway diagrams. Everything it shows is built with textContent (never
// HTML from data), and every request goes to this server.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("dorsum-config").textContent);
  const form = document.getElementById("case-form");
  const statusEl = document.getElementById("status");
  const errorsEl = document.getElementById("errors");
  const conclusionsEl = document.getElementById("conclusions");
  let lastResult = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // ---------------------------------------------------------------- the case from the form
  function setPath(obj, path, value) {
    const keys = path.split(".");
    let o = obj;
    for (const k of keys.slice(0, -1)) o = (o[k] = o[k] || {});
    o[keys[keys.length - 1]] = value;
  }

  function caseFromForm() {
    const obj = {};
    const lists = {};
    for (const input of form.querySelectorAll("[data-kind]")) {
      const kind = input.dataset.kind, name = input.name;
      if (kind === "choices") {
        lists[name] = lists[name] || [];
        if (input.checked) lists[name].push(input.value);
        continue;
      }
      const raw = input.value.trim();
      if (raw === "") continue;  // unknown: an absent key, never false
      if (kind === "boolean") setPath(obj, name, raw === "true");
      else if (kind === "number") setPath(obj, name, Number(raw));
      else setPath(obj, name, raw);
    }
    for (const [name, values] of Object.entries(lists)) if (values.length) setPath(obj, name, values);
    return obj;
  }

  // ---------------------------------------------------------------- errors beside their fields
  function clearErrors() {
    for (const e of document.querySelectorAll(".error")) e.textContent = "";
    for (const e of document.querySelectorAll(".invalid")) e.classList.remove("invalid");
    errorsEl.replaceChildren();
  }

  function placeError(err) {
    // the field the error names, else the nearest group around it, else the list under the status
    let path = err.path || "";
    const text = (err.value === null || err.value === undefined ? "" : `${JSON.stringify(err.value)}: `) + err.message;
    while (true) {
      const slot = document.querySelector(`.error[data-error-for="${CSS.escape(path)}"]`);
      if (slot) {
        slot.append(el("div", {}, text));
        const field = slot.closest(".field, fieldset");
        if (field) field.classList.add("invalid");
        return;
      }
      if (!path) break;
      path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    }
    errorsEl.append(el("p", { class: "error-item" }, `${err.path || "(case)"}: ${text}`));
  }

  // ---------------------------------------------------------------- the proof, a DAG
  function proofView(proof, roots) {
    const numbers = new Map();
    const box = el("div", { class: "proof" });
    const nodes = proof.nodes;
    function statementLine(key, verb) {
      const s = nodes[key];
      const line = el("div", { class: "statement" }, el("span", { class: "verb" }, verb + " "),
        el("q", {}, s.label), " ", badge(s.evidence_status));
      if (s.conflict) line.append(el("div", { class: "conflict" }, "Recorded conflict: " + s.conflict));
      if (s.references.length) {
        line.append(el("ul", { class: "refs" }, ...s.references.map((r) => el("li", {}, r.citation))));
      }
      return line;
    }
    function step(key) {
      const n = nodes[key];
      if (numbers.has(key)) {
        return el("div", { class: "step seen" }, el("a", { href: `#${numbers.get(key)}` }, "see above"), " ", n.label);
      }
      const anchor = `proof-${box.dataset.uid}-${numbers.size + 1}`;
      numbers.set(key, anchor);
      const d = el("details", { class: "step", id: anchor, open: "" },
        el("summary", {}, el("strong", {}, n.label), " ", badge(n.evidence_status),
          n.pathway ? el("span", { class: "pathway" }, " pathway " + n.pathway) : null));
      if (n.rule) {
        const r = nodes[n.rule];
        d.append(el("div", { class: "rule" }, el("span", { class: "verb" }, "rule "),
          el("a", { href: `/rules.html#rule-${r.slug}` }, r.slug), ": " + r.label));
      }
      for (const s of n.statements) d.append(statementLine(s, "cites"));
      for (const s of n.departs_from) d.append(statementLine(s, "departs from (the article's version)"));
      for (const t of n.because) d.append(el("div", { class: "input" }, el("span", { class: "verb" }, "because "), t));
      for (const f of n.inputs) d.append(el("div", { class: "input" }, el("span", { class: "verb" }, "input "), el("code", {}, nodes[f].label)));
      for (const p of n.premises) d.append(el("div", { class: "premise" }, step(p)));
      return d;
    }
    box.dataset.uid = String(Math.random()).slice(2, 10);
    for (const r of roots) box.append(step(r));
    return box;
  }

  function rootsFor(proof, key, item) {
    return Object.entries(proof.nodes)
      .filter(([, n]) => n.kind === "conclusion" && n.shown_as && n.shown_as.key === key && n.shown_as.item === item)
      .map(([k]) => k);
  }

  function badge(status) {
    return el("span", { class: `badge ${status}` }, status);
  }

  // ---------------------------------------------------------------- the result
  function itemView(kind, item, proof) {
    const slug = item[kind.item_key];
    const li = el("li", { class: "item", "data-key": kind.key, "data-item": slug });
    const title = el("div", { class: "title" }, el("strong", {}, item.label || slug));
    if (item.within_days_label) title.append(" · " + item.within_days_label);
    else if (item.within_days !== undefined && item.within_days !== null) title.append(` · within ${item.within_days} days`);
    if (item.strength) title.append(` · strength: ${item.strength}`);
    li.append(title);
    if (item.why) li.append(el("div", { class: "why-missing" }, item.why));
    li.append(el("div", { class: "meta" }, item.pathway ? `pathway ${item.pathway} · ` : "", badge(item.evidence_status)));
    for (const c of item.conflicts || []) li.append(el("div", { class: "conflict" }, "Recorded conflict: " + c.note));
    if (item.references && item.references.length) {
      li.append(el("details", { class: "references" }, el("summary", {}, `references (${item.references.length})`),
        el("ul", {}, ...item.references.map((r) => el("li", {}, r.citation)))));
    }
    if (proof) {
      const why = el("details", { class: "why" }, el("summary", {}, "why"));
      why.addEventListener("toggle", () => {
        if (why.open && why.children.length === 1) why.append(proofView(proof, rootsFor(proof, kind.key, slug)));
      }, { once: false });
      li.append(why);
    }
    return li;
  }

  function showResult(result, httpStatus) {
    lastResult = result;
    clearErrors();
    conclusionsEl.replaceChildren();
    if (result.status !== "classified") {
      statusEl.textContent = `Invalid case (HTTP ${httpStatus}): no rule ran. ${result.errors.length} problem(s), shown beside the fields they name.`;
      statusEl.className = "status invalid";
      for (const e of result.errors) placeError(e);
      followCase(null);
      return;
    }
    statusEl.className = "status ok";
    statusEl.textContent = `Classified: ${result.case} · age groups: ${result.age_groups.join(", ") || "none"} · pathways: ${result.pathways.join(", ") || "none (no care pathway applies)"}`;
    for (const kind of config.kinds) {
      const value = result[kind.key];
      const items = kind.single ? (value ? [value] : []) : value;
      const section = el("section", { class: "kind", "data-key": kind.key },
        el("h3", {}, kind.key.replace(/_/g, " ")));
      if (!items || !items.length) section.append(el("p", { class: "none" }, "none"));
      else section.append(el("ul", {}, ...items.map((it) => itemView(kind, it, result.proof))));
      conclusionsEl.append(section);
    }
    followCase(result);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    statusEl.textContent = "Classifying…";
    statusEl.className = "status";
    let response, body;
    try {
      response = await fetch("/classify?proof=true", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(caseFromForm()),
      });
      body = await response.text();
      showResult(JSON.parse(body), response.status);
    } catch (e) {
      statusEl.className = "status invalid";
      statusEl.textContent = `The server did not classify the case: ${response ? response.status + " " + body : e}`;
    }
  });
  form.addEventListener("reset", () => { clearErrors(); });

  // ---------------------------------------------------------------- pathway diagrams
  const tabs = document.getElementById("pathway-tabs");
  const diagramEl = document.getElementById("pathway-diagram");
  let diagrams = [];
  let shown = null;
  let vizReady = null;

  function taken(result) {
    // what the case used: its rules, the input findings they read, and the outcomes shown
    const ids = new Set();
    if (!result || !result.proof) return ids;
    for (const n of Object.values(result.proof.nodes)) {
      if (n.kind === "rule") ids.add(`rule-${n.slug}`);
      if (n.kind === "input") {
        // the finding and the objects it sits in (patient.age_years -> patient: an age group is drawn there)
        const path = n.label.split(" = ")[0].split(".");
        for (let i = 1; i <= path.length; i++) ids.add(`finding-${path.slice(0, i).join(".")}`);
      }
      if (n.kind === "conclusion" && n.shown_as) ids.add(`outcome-${n.shown_as.item}`);
    }
    for (const p of result.pathways || []) ids.add(`pathway-${p}`);
    return ids;
  }

  function highlight(result) {
    const ids = taken(result);
    const svg = diagramEl.querySelector("svg");
    if (!svg) return;
    for (const g of svg.querySelectorAll("g.node, g.edge")) g.classList.remove("taken");
    for (const g of svg.querySelectorAll("g.node")) if (ids.has(g.id)) g.classList.add("taken");
    for (const g of svg.querySelectorAll("g.edge")) {
      // edge-<source id>--<target id>: try every split, ids themselves may hold "--"
      const body = g.id.startsWith("edge-") ? g.id.slice(5) : "";
      for (let i = body.indexOf("--"); i >= 0; i = body.indexOf("--", i + 1)) {
        if (ids.has(body.slice(0, i)) && ids.has(body.slice(i + 2))) { g.classList.add("taken"); break; }
      }
    }
  }

  function followCase(result) {
    // mark the case's pathways and show the first of them (the user may then look at any other)
    const pathways = result && result.pathways ? result.pathways : [];
    for (const b of tabs.querySelectorAll("button")) b.classList.toggle("case-pathway", pathways.includes(b.dataset.slug));
    if (pathways.length && !pathways.includes(shown)) show(pathways[0]);
    else highlight(result);
  }

  async function show(slug) {
    const d = diagrams.find((x) => x.slug === slug);
    if (!d) return;
    shown = slug;
    for (const b of tabs.querySelectorAll("button")) b.setAttribute("aria-selected", String(b.dataset.slug === slug));
    if (typeof Viz === "undefined") {
      diagramEl.replaceChildren(el("p", { class: "missing" }, "The diagram renderer (Viz.js) is not installed: run make web, then restart dorsum serve."));
      return;
    }
    vizReady = vizReady || Viz.instance();
    const viz = await vizReady;
    const svg = viz.renderSVGElement(d.dot);
    svg.setAttribute("aria-label", `pathway diagram: ${d.label}`);
    diagramEl.replaceChildren(svg);
    diagramEl.dataset.slug = slug;
    highlight(lastResult);
  }

  fetch("/api/pathways", { headers: { Accept: "application/json" } }).then((r) => r.json()).then((list) => {
    diagrams = list;
    for (const d of list) {
      const b = el("button", { type: "button", role: "tab", "data-slug": d.slug }, d.label);
      b.addEventListener("click", () => show(d.slug));
      tabs.append(b);
    }
    if (list.length) show(list[0].slug);
  });
})();

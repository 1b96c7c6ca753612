// The query page (/editor): YASGUI over this server's own /sparql, the saved analytics queries
// (/api/analytics) to load into it, and a CSV download of the query's results. Everything YASGUI
// would fetch from other hosts is switched off here (see reasoner/serve/vendor.py).
"use strict";

(function () {
  const endpoint = new URL("/sparql", window.location.href).href;
  const status = document.getElementById("status");
  let loadedName = "query";

  function say(text) {
    status.textContent = text;
  }

  function missing(text) {
    if (document.querySelector(".missing")) return;  // the server said it already
    const p = document.createElement("p");
    p.className = "missing";
    p.setAttribute("role", "alert");
    p.textContent = text;
    document.querySelector(".disclaimer").after(p);
  }

  function startEditor() {
    const Yasgui = window.Yasgui;
    if (typeof Yasgui === "undefined") {
      missing("The SPARQL editor's files did not load: run `make web` (needs npm), then restart dorsum serve.");
      return null;
    }
    // Only the completers that need no other host: not `class` and `property` (lov.linkeddata.es);
    // set on the defaults because a config array would be merged index by index into them.
    Yasgui.defaults.yasqe.autocompleters = ["variables", "prefixes"];
    Yasgui.defaults.yasqe.prefixCcApi = null;
    return new Yasgui(document.getElementById("yasgui"), {
      requestConfig: { endpoint: endpoint, method: "POST" },
      endpointCatalogueOptions: { getData: function () { return []; } },  // not DBpedia and Wikidata
      copyEndpointOnNewTab: true,
      populateFromUrl: false,
      persistenceId: null,  // results are case data: keep them out of localStorage
      yasr: { pluginOrder: ["table", "response"], defaultPlugin: "table" },
    });
  }

  const yasgui = startEditor();

  // Links out of the page (YASR links each IRI and datatype, and its help button goes to
  // docs.triply.cc) become plain text with the address as a tooltip: the page leads nowhere else.
  function unlinkForeign(root) {
    root.querySelectorAll("a[href]").forEach(function (a) {
      const u = new URL(a.getAttribute("href"), window.location.href);
      if (u.origin !== window.location.origin && u.protocol !== "blob:") {
        a.title = a.getAttribute("href");
        a.removeAttribute("href");
        a.removeAttribute("target");
        a.classList.add("unlinked");
      }
    });
  }
  const results = document.getElementById("yasgui");
  new MutationObserver(function () { unlinkForeign(results); })
    .observe(results, { childList: true, subtree: true });
  unlinkForeign(results);

  function tab() {
    const t = yasgui.getTab();
    t.setEndpoint(endpoint);  // one endpoint: this server
    return t;
  }

  function load(q, button) {
    if (!yasgui) return;
    tab().setQuery(q.query);
    loadedName = q.name;
    document.getElementById("loaded-name").textContent = q.title;
    document.querySelectorAll("#saved-queries button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b === button));
    });
    say("Loaded “" + q.title + "”: run it with the ▶ button.");
  }

  function listSaved(queries) {
    const ul = document.getElementById("saved-queries");
    ul.replaceChildren();
    queries.forEach(function (q) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.name = q.name;
      b.setAttribute("aria-pressed", "false");
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = q.title;
      const description = document.createElement("span");
      description.className = "description";
      description.textContent = q.description;
      b.title = q.description;
      b.append(title, description);
      b.addEventListener("click", function () { load(q, b); });
      li.append(b);
      ul.append(li);
    });
    ul.setAttribute("aria-busy", "false");
  }

  fetch("/api/analytics", { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(listSaved)
    .catch(function (e) { say("Could not list the saved queries: " + e.message); });

  // The whole result as the server's own CSV (text/csv from /sparql), not the table's current page.
  document.getElementById("download-csv").addEventListener("click", function () {
    if (!yasgui) return;
    const query = tab().getQuery();
    say("Preparing CSV…");
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", Accept: "text/csv" },
      body: query,
    })
      .then(function (r) {
        return r.text().then(function (text) {
          if (!r.ok) throw new Error(text || "HTTP " + r.status);
          return text;
        });
      })
      .then(function (text) {
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = loadedName + ".csv";
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        say("CSV downloaded.");
      })
      .catch(function (e) { say("CSV download failed: " + e.message); });
  });
})();

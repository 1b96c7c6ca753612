"""What the browser tests read from a page's DOM."""

from __future__ import annotations


def same_origin_violations(page) -> list[str]:
    """Every src/href/action/srcset/poster/data of the page's DOM that points to another host
    (read with the DOM's own URL parser: relative, same-origin, data: and blob: URLs pass)."""
    return page.evaluate("""() => {
        const own = location.origin, bad = [];
        const attrs = ["src", "href", "action", "poster", "data", "xlink:href"];
        for (const el of document.querySelectorAll("*")) {
            const found = attrs.filter(a => el.hasAttribute(a)).map(a => [a, el.getAttribute(a)]);
            if (el.hasAttribute("srcset")) {
                for (const c of el.getAttribute("srcset").split(",")) found.push(["srcset", c.trim().split(/\\s+/)[0]]);
            }
            for (const [a, v] of found) {
                let u;
                try { u = new URL(v, document.baseURI); } catch (e) { bad.push(`${el.tagName} ${a}=${v} (unparsable)`); continue; }
                if (["data:", "about:", "javascript:"].includes(u.protocol)) continue;  // loads from no host
                if (u.origin !== own) bad.push(`${el.tagName} ${a}=${v}`);  // a blob: URL's origin is its page's
            }
        }
        return bad;
    }""")

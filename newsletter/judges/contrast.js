// Text contrast as the reader sees it: every visible text node's colour against the background
// actually behind it (walking up to the first opaque background, blending translucent ones,
// ending at the page canvas of the current colour scheme). Called as (minRatio) => failures.
(minRatio) => {
  const parse = (c) => {
    const m = /^rgba?\(([^)]+)\)$/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const channel = (v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const css = (c) => `rgb(${Math.round(c.r)}, ${Math.round(c.g)}, ${Math.round(c.b)})`;
  // The canvas colour in the scheme in use: "Canvas" resolves per the root's color-scheme.
  const probe = document.createElement("div");
  probe.style.backgroundColor = "Canvas";
  document.documentElement.appendChild(probe);
  const canvas = parse(getComputedStyle(probe).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
  probe.remove();
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.backgroundImage && s.backgroundImage !== "none") return null; // an image: cannot judge
      const bg = parse(s.backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    return layers.reverse().reduce((under, top) => over(top, under), canvas);
  };
  const invisible = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.display === "none" || s.visibility !== "visible" || Number(s.opacity) === 0) return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.classList.length ? "." + [...el.classList].slice(0, 2).join(".") : "");
  const seen = new Set();
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!el || seen.has(el) || !text.textContent.trim()) continue;
    if (/^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|TITLE)$/.test(el.tagName)) continue;
    seen.add(el);
    const range = document.createRange();
    range.selectNodeContents(text);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    if (!rects.length || invisible(el)) continue;
    const fg = parse(getComputedStyle(el).color);
    const bg = background(el);
    if (!fg || !bg || fg.a === 0) continue;
    const shown = over(fg, bg);
    const r = ratio(shown, bg);
    if (r < minRatio) {
      failures.push({
        ratio: Math.round(r * 100) / 100,
        color: css(shown),
        background: css(bg),
        text: text.textContent.trim().replace(/\s+/g, " ").slice(0, 40),
        selector: (el.parentElement ? name(el.parentElement) + " > " : "") + name(el),
      });
    }
  }
  return failures;
}

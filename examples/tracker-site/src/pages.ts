// The site's pages: two static ones and a single-page app view, each loading the
// drop-in tracker script from the site's own origin.

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;color:#1d2330}
nav a{margin-right:1rem}button{font:inherit;padding:.3rem .8rem}`;

function layout(title: string, body: string, website: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${STYLE}</style>
<script defer src="/tracker.min.js" data-website="${website}"></script>
</head><body>
<nav><a href="/">Home</a><a href="/pricing">Pricing</a><a href="/app">App</a><a href="/dashboard">Dashboard</a></nav>
${body}
<noscript><img src="/v1/tracker/img/${website}" alt="" width="1" height="1"></noscript>
</body></html>
`;
}

/** The home page: a page view on load, a `signup` custom event from the button. */
export function homePage(website: string): string {
  return layout(
    "Home",
    `<h1>Welcome</h1>
<p>This page counts a visit without cookies or storage.</p>
<button id="signup" type="button">Sign up</button>
<script>
document.getElementById("signup").addEventListener("click", function () {
  if (window.groundworkTracker) window.groundworkTracker.track("signup", { plan: "pro" });
});
</script>`,
    website,
  );
}

/** A second static page. */
export function pricingPage(website: string): string {
  return layout("Pricing", "<h1>Pricing</h1><p>Free while it lasts.</p>", website);
}

/**
 * The single-page app: its links change the view with `history.pushState`, which
 * the tracker script reports as page views; the server answers every `/app/…`
 * path with this page, so reloads work.
 */
export function appPage(website: string): string {
  return layout(
    "App",
    `<h1 id="view">App</h1>
<p><a href="/app" data-spa>Overview</a> <a href="/app/settings" data-spa>Settings</a></p>
<script>
function show(path) {
  document.getElementById("view").textContent = path === "/app/settings" ? "Settings" : "App";
}
document.addEventListener("click", function (e) {
  var link = e.target.closest && e.target.closest("a[data-spa]");
  if (!link) return;
  e.preventDefault();
  history.pushState({}, "", link.getAttribute("href"));
  show(location.pathname);
});
addEventListener("popstate", function () { show(location.pathname); });
show(location.pathname);
</script>`,
    website,
  );
}

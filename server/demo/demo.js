// The demo app: a few routes switched with history.pushState, like HighLevel's own SPA, with
// the tracker installed for a demo user signed in through the hub's dev login.
const PAGES = {
  '/demo/': [
    'Home',
    'Welcome back. Move between pages, switch tabs, or leave the page idle, then look at the dashboard.',
  ],
  '/demo/contacts': ['Contacts', '1,284 contacts · 37 added this week.'],
  '/demo/opportunities': ['Opportunities', 'Pipeline: 12 open deals worth $48,300.'],
  '/demo/calendar': ['Calendar', 'Three appointments today.'],
  '/demo/settings': ['Settings', 'Business profile, team and integrations.'],
};
const nav = document.getElementById('nav');
const page = document.getElementById('page');
const status = document.getElementById('status');

function render() {
  const path = location.pathname in PAGES ? location.pathname : '/demo/';
  const [title, text] = PAGES[path];
  document.title = `Demo CRM · ${title}`;
  page.replaceChildren(
    Object.assign(document.createElement('h1'), { textContent: title }),
    Object.assign(document.createElement('p'), { textContent: text }),
  );
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

for (const [path, [title]] of Object.entries(PAGES)) {
  const a = Object.assign(document.createElement('a'), { href: path, textContent: title });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    if (location.pathname !== path) history.pushState({}, '', path);
    render();
    page.focus();
  });
  nav.append(a);
}
addEventListener('popstate', render);
render();

async function start() {
  const config = await fetch('/api/v1/auth/config').then((r) => r.json());
  if (!config.devLogin) {
    status.textContent = 'The demo needs the dev login, which is off when SSO is configured or in production.';
    return;
  }
  const select = document.getElementById('user');
  for (const u of config.demoUsers) {
    select.append(new Option(`${u.name} (${u.role === 'agency' ? 'agency' : u.locationId})`, u.userId));
  }
  const saved = sessionStorage.getItem('demo:user');
  const fallback = config.demoUsers.find((u) => u.role === 'location') ?? config.demoUsers[0];
  select.value = config.demoUsers.some((u) => u.userId === saved) ? saved : fallback.userId;
  select.addEventListener('change', () => {
    sessionStorage.setItem('demo:user', select.value);
    location.reload();
  });
  const user = config.demoUsers.find((u) => u.userId === select.value);
  const res = await fetch('/api/v1/auth/dev', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  const { token } = await res.json();
  window.activityHubConfig = { token };
  const s = document.createElement('script');
  s.src = '/tracker.js';
  s.async = true;
  document.head.append(s);
  status.textContent = `Tracking ${user.name}.`;
}
start().catch(() => (status.textContent = 'Could not reach the hub.'));

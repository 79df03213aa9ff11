// The operations console: sign-in, navigation by the URL's fragment, the review queue always in view.
import { html, render, useEffect, useState } from './vendor/preact-htm.js';
import { get, post, useCsrf, whenSignedOut } from './api.js';
import { formatAge } from './format.js';
import { LoginView } from './loginView.js';
import { LiveView } from './liveView.js';
import { CallsView } from './callsView.js';
import { CallDetailView } from './callDetailView.js';
import { FailedView } from './failedView.js';
import { ReviewView } from './reviewView.js';
import { QualityView } from './qualityView.js';

const SECTIONS = [
  ['live', 'Live calls'],
  ['calls', 'Calls'],
  ['failed', 'Failed leads'],
  ['review', 'Review'],
  ['quality', 'Quality'],
];

/** The fragment as a route: `#/calls/ID` -> { section: 'calls', id: 'ID' }. */
function routeOf(hash) {
  const [section = 'live', ...rest] = hash.replace(/^#\/?/, '').split('/');
  return { section: SECTIONS.some(([key]) => key === section) ? section : 'live', id: rest.length > 0 ? decodeURIComponent(rest.join('/')) : null };
}

function useRoute() {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/** The review queue's size and oldest age, polled while signed in (the header shows it on every page). */
function useReviewSummary(signedIn) {
  const [summary, setSummary] = useState(null);
  useEffect(() => {
    if (!signedIn) return undefined;
    let stopped = false;
    const load = () =>
      get('/admin/api/review')
        .then((queue) => !stopped && setSummary({ size: queue.size, oldestAt: queue.oldestAt }))
        .catch(() => undefined);
    load();
    const timer = setInterval(load, 10_000);
    // Fresh after every action on the queue and on every change of page.
    addEventListener('psb:review-changed', load);
    addEventListener('hashchange', load);
    return () => {
      stopped = true;
      clearInterval(timer);
      removeEventListener('psb:review-changed', load);
      removeEventListener('hashchange', load);
    };
  }, [signedIn]);
  return summary;
}

function Header({ me, route, review, onSignOut }) {
  return html`
    <header class="top">
      <a class="brand" href="#/live">Power Sport Buyers <span>operations</span></a>
      <nav aria-label="Sections">
        <ul>
          ${SECTIONS.map(
            ([key, label]) => html`<li><a href=${`#/${key}`} aria-current=${route.section === key ? 'page' : undefined}>${label}</a></li>`,
          )}
        </ul>
      </nav>
      <p class="queue" role="status" aria-live="polite" data-testid="review-summary">
        ${review === null
          ? 'Review queue …'
          : html`<a href="#/review">Review queue: <strong data-testid="review-size">${review.size}</strong>${review.size > 0
                ? html` · oldest ${formatAge(review.oldestAt)}`
                : ''}</a>`}
      </p>
      <p class="who">Signed in as <strong>${me.operator}</strong></p>
      ${me.kind === 'session' ? html`<button type="button" class="secondary" onClick=${onSignOut}>Sign out</button>` : ''}
    </header>
  `;
}

function Section({ route }) {
  switch (route.section) {
    case 'calls':
      return route.id === null ? html`<${CallsView} />` : html`<${CallDetailView} id=${route.id} />`;
    case 'failed':
      return html`<${FailedView} />`;
    case 'review':
      return html`<${ReviewView} />`;
    case 'quality':
      return html`<${QualityView} />`;
    default:
      return html`<${LiveView} />`;
  }
}

function Console() {
  const route = useRoute();
  const [me, setMe] = useState(undefined);
  const review = useReviewSummary(Boolean(me));
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    get('/admin/api/me')
      .then((who) => {
        if (who.operator === null) return setMe(null);
        useCsrf(who.csrfToken);
        setMe(who);
      })
      .catch(() => setMe(null));
  }, []);
  if (me === undefined) return html`<p class="loading">Loading the console…</p>`;
  if (me === null) {
    return html`<${LoginView}
      onSignedIn=${(who) => {
        useCsrf(who.csrfToken);
        setMe({ operator: who.operator, kind: 'session', csrfToken: who.csrfToken });
      }}
    />`;
  }
  const signOut = () =>
    post('/admin/api/logout')
      .catch(() => undefined)
      .then(() => {
        useCsrf(null);
        setMe(null);
      });
  return html`
    <a class="skip" href="#main" onClick=${(event) => {
      event.preventDefault();
      document.getElementById('main')?.focus();
    }}>Skip to the content</a>
    <${Header} me=${me} route=${route} review=${review} onSignOut=${signOut} />
    <main id="main" tabindex="-1"><${Section} route=${route} /></main>
  `;
}

render(html`<${Console} />`, document.getElementById('app'));

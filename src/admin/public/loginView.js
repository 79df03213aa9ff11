// The sign-in form: a wrong password or too many attempts is said in words, in a live region.
import { html, useState } from './vendor/preact-htm.js';
import { post } from './api.js';

export function LoginView({ onSignedIn }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError('');
    try {
      onSignedIn(await post('/admin/api/login', { name: String(form.get('name') ?? ''), password: String(form.get('password') ?? '') }));
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="login">
      <h1>Power Sport Buyers operations</h1>
      <form onSubmit=${submit} aria-describedby="login-error">
        <label for="login-name">Operator name</label>
        <input id="login-name" name="name" autocomplete="username" required autofocus />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit" disabled=${busy}>Sign in</button>
        <p id="login-error" class="error" role="alert">${error}</p>
      </form>
    </main>
  `;
}

import { useState } from "preact/hooks";
import { ApiError, api, type Role, session } from "./api.ts";

export function SignIn({ onSignedIn }: { onSignedIn: (role: Role) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    session.signIn(key.trim());
    try {
      const { role } = await api<{ role: Role }>("GET", "/whoami");
      onSignedIn(role);
    } catch (e) {
      session.signOut();
      setError(e instanceof ApiError && e.status === 401 ? "That key is not valid." : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page narrow">
      <h1>Sign in</h1>
      <p>Use an admin API key (the gateway's API_KEY) to manage services, or a viewer key to look around.</p>
      <form onSubmit={submit}>
        <label for="key">API key</label>
        <input
          id="key"
          type="password"
          autocomplete="current-password"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "key-error" : undefined}
          required
        />
        {error && (
          <p id="key-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || key.trim() === ""}>
          Sign in
        </button>
      </form>
    </main>
  );
}

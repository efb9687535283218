// The register page's one script: "Create passkey" checks the code (POST /auth/registration/init), has the browser
// create a passkey (navigator.credentials.create) and registers it (POST /auth/registration, credential kind Fido2),
// the way @dfns/sdk-browser's WebAuthnSigner does. Everything else on the page is a plain form.

const form = document.getElementById('register-form');
const errorBox = document.getElementById('register-error');
const statusBox = document.getElementById('register-status');
const createButton = document.getElementById('create-passkey');
const fields = {
    email: document.getElementById('email'),
    orgId: document.getElementById('orgId'),
    code: document.getElementById('code'),
};

const supportsPasskeys = typeof window.PublicKeyCredential === 'function'
    && typeof navigator.credentials?.create === 'function';

// The words, in the page's language, come with the form (data-texts); {0} takes a value. Read at each use: the
// language links swap the page in place (enhanced navigation), with the form's new words, and this script stays.
function t(key, value) {
    const text = JSON.parse(form.dataset.texts || '{}')[key] ?? key;
    return value === undefined ? text : text.replace('{0}', value);
}

const encoder = new TextEncoder();

function toBase64Url(buffer) {
    let text = '';
    for (const byte of new Uint8Array(buffer)) {
        text += String.fromCharCode(byte);
    }
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    return Uint8Array.from(atob(base64 + '='.repeat((4 - base64.length % 4) % 4)), c => c.charCodeAt(0));
}

function say(status) {
    errorBox.textContent = '';
    statusBox.textContent = status;
}

function fail(message, field) {
    statusBox.textContent = '';
    errorBox.textContent = message;
    for (const input of Object.values(fields)) {
        input.removeAttribute('aria-invalid');
    }
    if (field) {
        field.setAttribute('aria-invalid', 'true');
        field.focus();
    }
}

function minutes(response) {
    const seconds = Number(response.headers.get('retry-after')) || 60;
    return seconds <= 90 ? t('Duration.Seconds', Math.max(1, Math.ceil(seconds))) : t('Duration.Minutes', Math.ceil(seconds / 60));
}

async function post(url, body, token) {
    const headers = { 'content-type': 'application/json', 'x-portal-door': 'register-page' };
    if (token) {
        headers.authorization = `Bearer ${token}`;
    }
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'omit' });
    let message = '';
    let json = null;
    try {
        json = await response.json();
        message = json?.error?.message ?? json?.message ?? '';
    } catch {
        // Every /auth answer is JSON; a proxy's error page is not.
    }
    return { response, json, message };
}

/** What init's refusal means to the person, and which field to look at. */
function initFailure({ response, message }) {
    if (response.status === 429) {
        return [t('Js.TooMany', minutes(response)), fields.code];
    }
    if (response.status === 400 && message === 'Registration code expired') {
        return [t('Js.Expired'), fields.code];
    }
    if (response.status === 401 && message === 'User already exists.') {
        return [t('Js.AlreadyRegistered'), null];
    }
    if (response.status === 401) {
        return [t('Js.WrongCode'), fields.code];
    }
    if (response.status === 400 && message.startsWith('username')) {
        return [t('Valid.Email'), fields.email];
    }
    if (response.status === 400 && message.startsWith('orgId')) {
        return [t('Valid.OrgId'), fields.orgId];
    }
    return [t('Js.Generic', response.status), null];
}

/** What the browser's refusal to create a passkey means to the person. */
function createFailure(error) {
    switch (error?.name) {
        case 'NotAllowedError':
            return t('Js.NotAllowed');
        case 'InvalidStateError':
            return t('Js.InvalidState');
        case 'NotSupportedError':
            return t('Js.NotSupported');
        case 'SecurityError':
            return t('Js.Security');
        case 'AbortError':
            return t('Js.Abort');
        default:
            return t('Js.BrowserFailed');
    }
}

async function register() {
    const email = fields.email.value.trim();
    const orgId = fields.orgId.value.trim();
    const code = fields.code.value.replace(/\s+/g, '');
    if (!email) {
        return fail(t('Valid.EmailRequired'), fields.email);
    }
    if (!orgId) {
        return fail(t('Valid.OrgIdRequired'), fields.orgId);
    }
    if (!code) {
        return fail(t('Js.EnterCode'), fields.code);
    }
    if (!supportsPasskeys) {
        return fail(t('Js.NoWebAuthn'), null);
    }

    say(t('Js.Checking'));
    const init = await post('/auth/registration/init', { username: email, registrationCode: code, orgId });
    if (!init.response.ok) {
        return fail(...initFailure(init));
    }

    const challenge = init.json;
    say(t('Js.Prompt'));
    let credential;
    try {
        // As @dfns/sdk-browser 0.6.12's WebAuthnSigner.create builds it: the challenge and user id as UTF-8 bytes.
        credential = await navigator.credentials.create({
            publicKey: {
                challenge: encoder.encode(challenge.challenge),
                rp: challenge.rp,
                user: {
                    id: encoder.encode(challenge.user.id),
                    name: challenge.user.name,
                    displayName: challenge.user.displayName,
                },
                pubKeyCredParams: challenge.pubKeyCredParams,
                attestation: challenge.attestation,
                excludeCredentials: challenge.excludeCredentials.map(({ id, type }) => ({ id: fromBase64Url(id), type })),
                authenticatorSelection: challenge.authenticatorSelection,
                timeout: 60000,
            },
        });
    } catch (error) {
        return fail(createFailure(error), null);
    }
    if (!credential) {
        return fail(createFailure(null), null);
    }

    say(t('Js.Saving'));
    const attestation = credential.response;
    const transports = typeof attestation.getTransports === 'function' ? attestation.getTransports() : [];
    const credentialInfo = {
        credId: credential.id,
        clientData: toBase64Url(attestation.clientDataJSON),
        attestationData: toBase64Url(attestation.attestationObject),
    };
    if (transports.length > 0) {
        credentialInfo.transports = transports;
    }
    const done = await post('/auth/registration', { firstFactorCredential: { credentialKind: 'Fido2', credentialInfo } }, challenge.temporaryAuthenticationToken);
    if (done.response.ok) {
        // The page after speaks the same language.
        const culture = new URLSearchParams(window.location.search).get('culture');
        window.location.assign('/register/registered' + (culture ? `?culture=${encodeURIComponent(culture)}` : ''));
        return;
    }
    if (done.response.status === 401 && done.message === 'Not Authorized.') {
        return fail(t('Js.AttemptExpired'), null);
    }
    return fail(t('Js.Refused', done.message || done.response.status), null);
}

let busy = false;
form.addEventListener('submit', async event => {
    if (event.submitter !== createButton) {
        return; // "Send a new code" is a plain form post.
    }
    event.preventDefault();
    if (busy) {
        return;
    }
    busy = true;
    createButton.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
        await register();
    } catch {
        fail(t('Js.Connection'), null);
    } finally {
        busy = false;
        createButton.disabled = false;
        form.removeAttribute('aria-busy');
        // The button had the focus when it was disabled; a message with no field to point at leaves it on the page:
        // it comes back to the button, so the keyboard goes on from where it was.
        if (!form.contains(document.activeElement)) {
            createButton.focus();
        }
    }
});

if (!supportsPasskeys) {
    fail(t('Js.NoWebAuthn'), null);
}

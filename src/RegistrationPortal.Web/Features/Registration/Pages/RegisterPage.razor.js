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

const noWebAuthn = 'This browser cannot create passkeys. Open this page in an up-to-date browser (Chrome, Edge, Firefox or Safari) on a device with a screen lock, or with a security key.';
const wrongCode = 'This code does not work: it may be mistyped, or a newer code replaced it. Check your latest email, or send a new code below.';

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
    return seconds <= 90 ? `${Math.max(1, Math.ceil(seconds))} seconds` : `${Math.ceil(seconds / 60)} minutes`;
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
        return [`Too many tries from your network. Please try again in ${minutes(response)}.`, fields.code];
    }
    if (response.status === 400 && message === 'Registration code expired') {
        return ['This code has expired. Send a new code below: it arrives by email and replaces this one.', fields.code];
    }
    if (response.status === 401 && message === 'User already exists.') {
        return ['You are already registered with this code. Sign in with your passkey: you need no new code.', null];
    }
    if (response.status === 401) {
        return [wrongCode, fields.code];
    }
    if (response.status === 400 && message.startsWith('username')) {
        return ['Enter an email address like name@example.com.', fields.email];
    }
    if (response.status === 400 && message.startsWith('orgId')) {
        return ['That is not an organization id: it looks like or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx.', fields.orgId];
    }
    return [`Something went wrong (${response.status}). Please try again in a moment.`, null];
}

/** What the browser's refusal to create a passkey means to the person. */
function createFailure(error) {
    switch (error?.name) {
        case 'NotAllowedError':
            return 'No passkey was created: the request was cancelled or timed out, or your device refused it. Press Create passkey to try again.';
        case 'InvalidStateError':
            return 'This device already holds a passkey for your account. Use another device or security key.';
        case 'NotSupportedError':
            return 'Your device cannot make the kind of passkey this site needs (one that checks it is you, with a PIN, fingerprint or face). Try another device or security key.';
        case 'SecurityError':
            return 'This page\'s address may not create passkeys for this site. Please tell your organization\'s administrator.';
        case 'AbortError':
            return 'Creating the passkey was interrupted. Press Create passkey to try again.';
        default:
            return 'Your browser could not create the passkey. Press Create passkey to try again, or use another browser.';
    }
}

async function register() {
    const email = fields.email.value.trim();
    const orgId = fields.orgId.value.trim();
    const code = fields.code.value.replace(/\s+/g, '');
    if (!email) {
        return fail('Enter your email address.', fields.email);
    }
    if (!orgId) {
        return fail('Enter your organization id.', fields.orgId);
    }
    if (!code) {
        return fail('Enter the registration code from your email.', fields.code);
    }
    if (!supportsPasskeys) {
        return fail(noWebAuthn, null);
    }

    say('Checking your code…');
    const init = await post('/auth/registration/init', { username: email, registrationCode: code, orgId });
    if (!init.response.ok) {
        return fail(...initFailure(init));
    }

    const challenge = init.json;
    say('Follow your browser\'s prompt to create the passkey…');
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

    say('Saving your passkey…');
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
        window.location.assign('/register/registered');
        return;
    }
    if (done.response.status === 401 && done.message === 'Not Authorized.') {
        return fail('This attempt expired or was already used. Press Create passkey to start again.', null);
    }
    return fail(`The passkey was refused: ${done.message || done.response.status}. Press Create passkey to try again, or use another device.`, null);
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
        fail('The connection to the server failed. Check your network and press Create passkey again.', null);
    } finally {
        busy = false;
        createButton.disabled = false;
        form.removeAttribute('aria-busy');
    }
});

if (!supportsPasskeys) {
    fail(noWebAuthn, null);
}

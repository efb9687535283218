// Drives the users API through the published Dfns SDK (@dfns/sdk with @dfns/sdk-keysigner's AsymmetricKeySigner,
// both unchanged), the way a program written for Dfns does: a service account's token, and every changing call signed
// with its P-256 key through /auth/action/init and /auth/action (the SDK's userActionFetch does that by itself).
//
// Usage (from this folder, after `npm ci`):
//   BASE_URL=http://127.0.0.1:5243 AUTH_TOKEN=… CRED_ID=… PRIVATE_KEY_FILE=key.pem EMAIL=new.person@example.com node users-api.mjs
//   ORG_ID=or-… may be given too: the SDK then checks that the token belongs to that organization before each call.
//   MODE=get USER_ID=us-… node users-api.mjs     only reads that user
//   GO_ON_FILE=path: after creating the user, wait (up to 60 s) until that file exists before going on, so a caller
//   can see the invitation arrive before the deactivation kills its code.
//
// Lifecycle (the default MODE): createUser, listUsers (following nextPageToken until the user shows up), getUser,
// deactivateUser, activateUser, and getUser of an id that does not exist (which must fail as a DfnsError 404).
// Every line on standard output is one JSON object; the last is {"event":"result","ok":…}; exit code 0 only when ok.

import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { DfnsApiClient, DfnsError } from '@dfns/sdk'
import { AsymmetricKeySigner } from '@dfns/sdk-keysigner'

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback
  if (value === undefined || value === '') throw new Error(`${name} is required`)
  return value
}

const emit = (line) => process.stdout.write(JSON.stringify(line) + '\n')

const client = () => {
  const options = {
    baseUrl: env('BASE_URL'),
    authToken: env('AUTH_TOKEN'),
    signer: new AsymmetricKeySigner({ credId: env('CRED_ID'), privateKey: readFileSync(env('PRIVATE_KEY_FILE'), 'utf8') }),
  }
  if (process.env.ORG_ID) options.orgId = process.env.ORG_ID
  return new DfnsApiClient(options)
}

const lifecycle = async (auth) => {
  const email = env('EMAIL')
  const created = await auth.createUser({ body: { email, kind: 'CustomerEmployee', externalId: 'hr-4711' } })
  emit({ event: 'created', user: created })
  const goOn = process.env.GO_ON_FILE
  if (goOn) {
    const deadline = Date.now() + 60_000
    while (!existsSync(goOn)) {
      if (Date.now() > deadline) throw new Error(`${goOn} did not appear within 60 s`)
      await sleep(50)
    }
  }

  let listed
  let pages = 0
  let paginationToken
  do {
    const page = await auth.listUsers({ query: { limit: 2, ...(paginationToken ? { paginationToken } : {}) } })
    pages++
    listed = page.items.find((u) => u.userId === created.userId)
    paginationToken = page.nextPageToken
  } while (!listed && paginationToken && pages < 100)

  const fetched = await auth.getUser({ userId: created.userId })
  const deactivated = await auth.deactivateUser({ userId: created.userId })
  const activated = await auth.activateUser({ userId: created.userId })

  let missing
  try {
    await auth.getUser({ userId: 'us-00000-00000-0000000000000000' })
    missing = { ok: false, reason: 'an unknown user was found' }
  } catch (error) {
    missing = { ok: error instanceof DfnsError && error.httpStatus === 404, status: error?.httpStatus, message: error?.message }
  }

  const ok = created.username === email && created.isActive === true && created.isRegistered === false
    && created.isServiceAccount === false && created.kind === 'CustomerEmployee' && /^us-/.test(created.userId)
    && Array.isArray(created.permissionAssignments)
    && listed?.userId === created.userId
    && fetched.userId === created.userId && fetched.orgId === created.orgId
    && deactivated.isActive === false && activated.isActive === true
    && missing.ok
  emit({ event: 'result', ok, userId: created.userId, orgId: created.orgId, pages, listed, fetched, deactivated, activated, missing })
  return ok
}

const main = async () => {
  const auth = client().auth
  if ((process.env.MODE ?? 'lifecycle') === 'get') {
    const user = await auth.getUser({ userId: env('USER_ID') })
    emit({ event: 'result', ok: true, user })
    return true
  }
  return lifecycle(auth)
}

try {
  process.exitCode = (await main()) ? 0 : 1
} catch (error) {
  emit({ event: 'result', ok: false, error: String(error?.message ?? error), status: error instanceof DfnsError ? error.httpStatus : undefined })
  process.exitCode = 1
}

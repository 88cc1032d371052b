// Two identifies of one user, 1 ms apart, each in its own batch (flushAt: 1): what a server does when a
// customer upgrades. The profile must end with the later value.
// usage: node send-analytics-node-order.mjs <baseUrl> <writeKey> <userId>
import { Analytics } from '@segment/analytics-node'

const [baseUrl, writeKey, userId] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host: baseUrl.replace(/\/$/, ''), flushAt: 1, maxRetries: 2 })
const failures = []
analytics.on('error', (err) => failures.push(err))

analytics.identify({ userId, traits: { plan: 'pro' } })
await new Promise((resolve) => setTimeout(resolve, 1))
analytics.identify({ userId, traits: { plan: 'premium' } })

await analytics.closeAndFlush({ timeout: 15000 })
if (failures.length > 0) {
  console.error('analytics-node errors:', failures.map(String).join('; '))
  process.exit(1)
}
console.log('sent 2 identifies')

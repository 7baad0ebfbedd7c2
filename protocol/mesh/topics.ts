/**
 * Communities are gossipsub topics, one per protected software:
 * `/immune/1/community/<software-id>`. The `1` is the protocol major version
 * (PROTOCOL_VERSION in alert/types.ts): a node of another major version lives
 * on other topics and never sees our alerts.
 */
import { PROTOCOL_VERSION } from '../alert/index.js'
import { InvalidCommunityError } from '../errors.js'

export const COMMUNITY_TOPIC_PREFIX = `/immune/${PROTOCOL_VERSION}/community/`

/** Software ids: lower-case letters, digits, dot, underscore and dash; 1 to 64 characters. */
export const COMMUNITY_ID_PATTERN = /^[a-z0-9._-]{1,64}$/
const ACCEPTED = '[a-z0-9._-]{1,64}'

export function isValidCommunity (community: string): boolean {
  return typeof community === 'string' && COMMUNITY_ID_PATTERN.test(community)
}

/** Throws InvalidCommunityError (IMMUNE_ERR_INVALID_COMMUNITY) unless the software id is valid. */
export function assertValidCommunity (community: string): void {
  if (!isValidCommunity(community)) throw new InvalidCommunityError(String(community), ACCEPTED)
}

/** `/immune/1/community/<community>`; throws InvalidCommunityError for an invalid id. */
export function communityTopic (community: string): string {
  assertValidCommunity(community)
  return COMMUNITY_TOPIC_PREFIX + community
}

/** The community of a topic, or null when the topic is not one of ours (or its id is invalid). */
export function communityFromTopic (topic: string): string | null {
  if (!topic.startsWith(COMMUNITY_TOPIC_PREFIX)) return null
  const community = topic.slice(COMMUNITY_TOPIC_PREFIX.length)
  return isValidCommunity(community) ? community : null
}

/**
 * Errors of the protocol layer. Every error has a stable `code`
 * (`IMMUNE_ERR_*`) and typed `details`; tests assert the code.
 */

import { ImmuneError } from '../core/index.js'
export { ImmuneError, InvalidParamsError } from '../core/index.js'

/** The data dir holds a node identity that is already in use by a running process. */
export class DataDirLockedError extends ImmuneError<{ dataDir: string, pid?: number }> {
  static readonly code = 'IMMUNE_ERR_DATA_DIR_LOCKED'
  constructor (dataDir: string, pid?: number) {
    super(DataDirLockedError.code, `data dir ${dataDir} is in use by another immune-node${pid != null ? ` (pid ${pid})` : ''}`, { dataDir, pid })
    this.name = 'DataDirLockedError'
  }
}

/** An alert could not be encoded or signed (local programming or input error). */
export class AlertEncodeError extends ImmuneError<{ field: string }> {
  static readonly code = 'IMMUNE_ERR_ALERT_ENCODE'
  constructor (field: string, message: string) {
    super(AlertEncodeError.code, message, { field })
    this.name = 'AlertEncodeError'
  }
}

/** A local publish was refused by our own validator (publish() skips it in gossipsub). */
export class AlertRejectedError extends ImmuneError<{ reason: string }> {
  static readonly code = 'IMMUNE_ERR_ALERT_REJECTED'
  constructor (reason: string) {
    super(AlertRejectedError.code, `alert refused before publishing: ${reason}`, { reason })
    this.name = 'AlertRejectedError'
  }
}

/** A community (software id) is not a valid topic name part. */
export class InvalidCommunityError extends ImmuneError<{ community: string, accepted: string }> {
  static readonly code = 'IMMUNE_ERR_INVALID_COMMUNITY'
  constructor (community: string, accepted: string) {
    super(InvalidCommunityError.code, `invalid community ${JSON.stringify(community)} (accepted: ${accepted})`, { community, accepted })
    this.name = 'InvalidCommunityError'
  }
}

/** The node's private key file can be read by group or others; the node refuses to use it. */
export class KeyFilePermissionsError extends ImmuneError<{ path: string, mode: number }> {
  static readonly code = 'IMMUNE_ERR_KEY_FILE_PERMISSIONS'
  constructor (path: string, mode: number) {
    super(KeyFilePermissionsError.code, `private key file ${path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}; it must not be readable by group or others (fix: chmod 600 ${path})`, { path, mode })
    this.name = 'KeyFilePermissionsError'
  }
}

/** A file the node keeps in its data dir (key, alert sequence, lock) is unreadable or corrupt. */
export class DataFileInvalidError extends ImmuneError<{ path: string, reason: string }> {
  static readonly code = 'IMMUNE_ERR_DATA_FILE_INVALID'
  constructor (path: string, reason: string) {
    super(DataFileInvalidError.code, `data file ${path} is invalid: ${reason}`, { path, reason })
    this.name = 'DataFileInvalidError'
  }
}

/** identity.key is missing beside the state of an earlier identity (a database): refused unless the operator accepts a new peer id. */
export class IdentityLostError extends ImmuneError<{ keyPath: string, evidence: string }> {
  static readonly code = 'IMMUNE_ERR_IDENTITY_LOST'
  constructor (keyPath: string, evidence: string) {
    super(IdentityLostError.code, `${keyPath} is missing but ${evidence}: starting would give this node a new peer id beside its old state (peers know the old id). Restore identity.key from a backup, or start with --new-identity to accept a new peer id`, { keyPath, evidence })
    this.name = 'IdentityLostError'
  }
}

/** Alert bytes could not be turned into an Alert: too big, not protobuf, or a required field missing/invalid. */
export class AlertDecodeError extends ImmuneError<{ reason: 'oversize' | 'malformed' | 'schema' | 'impossible-value' | 'unknown-kind' | 'unknown-field', field?: string }> {
  static readonly code = 'IMMUNE_ERR_ALERT_DECODE'
  constructor (reason: 'oversize' | 'malformed' | 'schema' | 'impossible-value' | 'unknown-kind' | 'unknown-field', message: string, field?: string) {
    super(AlertDecodeError.code, message, { reason, field })
    this.name = 'AlertDecodeError'
  }
}

/** A signed alert envelope failed verification: bad signature, another record type, or origin != signer. */
export class AlertSignatureError extends ImmuneError<{ reason: 'bad-signature' | 'wrong-domain' | 'origin-mismatch' }> {
  static readonly code = 'IMMUNE_ERR_ALERT_SIGNATURE'
  constructor (reason: 'bad-signature' | 'wrong-domain' | 'origin-mismatch', message: string) {
    super(AlertSignatureError.code, message, { reason })
    this.name = 'AlertSignatureError'
  }
}

/** A persisted replay-guard or sequencer state could not be restored. */
export class ReplayStateError extends ImmuneError<{ field: string }> {
  static readonly code = 'IMMUNE_ERR_REPLAY_STATE'
  constructor (field: string, message: string) {
    super(ReplayStateError.code, message, { field })
    this.name = 'ReplayStateError'
  }
}

/** A mesh operation that needs the network was called before start() or after stop(). */
export class MeshNotStartedError extends ImmuneError<{ operation: string }> {
  static readonly code = 'IMMUNE_ERR_MESH_NOT_STARTED'
  constructor (operation: string) {
    super(MeshNotStartedError.code, `mesh is not started (${operation} needs a started mesh)`, { operation })
    this.name = 'MeshNotStartedError'
  }
}

/** A persisted reputation/intake snapshot (toJSON output) cannot be restored. */
export class ReputationSnapshotError extends ImmuneError<{ part: string, field: string, reason: string }> {
  static readonly code = 'IMMUNE_ERR_REPUTATION_SNAPSHOT'
  constructor (part: string, field: string, reason: string) {
    super(ReputationSnapshotError.code, `cannot restore ${part} snapshot: ${field} ${reason}`, { part, field, reason })
    this.name = 'ReputationSnapshotError'
  }
}

/** The mesh could not listen on its configured addresses (e.g. the port is in use). */
export class MeshListenError extends ImmuneError<{ addresses: string[], cause: string }> {
  static readonly code = 'IMMUNE_ERR_MESH_LISTEN'
  constructor (addresses: string[], cause: string) {
    super(MeshListenError.code, `mesh cannot listen on ${addresses.join(', ')}: ${cause}`, { addresses, cause })
    this.name = 'MeshListenError'
  }
}

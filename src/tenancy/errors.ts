/** Base of the tenancy errors: `rule` names what was broken, so a CLI can print it as is. */
export class TenancyError extends Error {
  constructor(
    message: string,
    readonly rule: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tenant id, module, data type or key that the rules do not allow. Raised before any command is sent. */
export class InvalidKey extends TenancyError {}
/** The tenant has no meta config (never created, or removed), or its plan lacks the module. */
export class NotProvisioned extends TenancyError {}
/** A tenant meta config that is missing, not JSON, or breaks the meta rules (schema, placement). */
export class InvalidTenantMeta extends NotProvisioned {
  constructor(message: string) {
    super(message, 'meta');
  }
}
/** Redis refused the command for this tenant's ACL user (NOPERM). */
export class PermissionDenied extends TenancyError {}
/** A write beyond the plan's maxKeys for the tenant-module. Nothing was written. */
export class QuotaExceeded extends TenancyError {}

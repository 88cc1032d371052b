namespace ProfileStudio.Core.Auditing;

/// <summary>One recorded action: who did what to what, and when.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string? ActorId { get; set; }
    public string ActorName { get; set; } = "";
    public string Action { get; set; } = "";
    public string Target { get; set; } = "";
    public string Details { get; set; } = "";
    public string? IpAddress { get; set; }
}

/// <summary>Who performed an action: a signed-in user, or the system itself.</summary>
public sealed record AuditActor(string? UserId, string Name, string? IpAddress = null)
{
    public static AuditActor System { get; } = new(null, "system");
}

/// <summary>The action names recorded in the audit log.</summary>
public static class AuditActions
{
    public const string SignIn = "auth.sign_in";
    public const string SignInFailed = "auth.sign_in_failed";
    public const string LockedOut = "auth.locked_out";
    public const string SignOut = "auth.sign_out";
    public const string PasswordChanged = "auth.password_changed";
    public const string UserCreated = "user.created";
    public const string UserRolesChanged = "user.roles_changed";
    public const string UserLocked = "user.locked";
    public const string UserUnlocked = "user.unlocked";
    public const string UserPasswordReset = "user.password_reset";
    public const string UserBootstrapped = "user.bootstrapped";
    public const string SourceCreated = "source.created";
    public const string SourceUpdated = "source.updated";
    public const string SourceKeyRotated = "source.key_rotated";
    public const string SourceEnabled = "source.enabled";
    public const string SourceDisabled = "source.disabled";
    public const string FileUploaded = "file.uploaded";
    public const string FileMappingSaved = "file.mapping_saved";
    public const string FileImportStarted = "file.import_started";
    public const string FileCancelled = "file.cancelled";
    public const string DemoGenerated = "demo.generated";
    public const string NamespaceCreated = "identity.namespace_created";
    public const string NamespaceUpdated = "identity.namespace_updated";
    public const string NamespaceDeleted = "identity.namespace_deleted";
    public const string IdentityRemoved = "identity.removed_from_profile";
    public const string NeverLinkAdded = "identity.never_link_added";
    public const string NeverLinkDeleted = "identity.never_link_deleted";
    public const string ProfileSplit = "profile.split";
    public const string ProfileAttributeEdited = "profile.attribute_edited";
    public const string ProfileDeleted = "profile.deleted";
    public const string RebuildRequested = "unification.rebuild_requested";
    public const string RebuildFinished = "unification.rebuild_finished";
    public const string SetAsideRetryRequested = "unification.set_aside_retry_requested";
    public const string MergePolicyCreated = "merge_policy.created";
    public const string MergePolicyUpdated = "merge_policy.updated";
    public const string MergePolicyDeleted = "merge_policy.deleted";
    public const string MergePolicyDefaultChanged = "merge_policy.default_changed";
    public const string ApiTokenCreated = "api_token.created";
    public const string ApiTokenUpdated = "api_token.updated";
    public const string ApiTokenRevoked = "api_token.revoked";
    public const string ComputedAttributeCreated = "computed_attribute.created";
    public const string ComputedAttributeUpdated = "computed_attribute.updated";
    public const string ComputedAttributeDeleted = "computed_attribute.deleted";
    public const string ComputedAttributeActivated = "computed_attribute.activated";
    public const string ComputedAttributeDisabled = "computed_attribute.disabled";
    public const string SegmentCreated = "segment.created";
    public const string SegmentUpdated = "segment.updated";
    public const string SegmentActivated = "segment.activated";
    public const string SegmentDisabled = "segment.disabled";
    public const string SegmentDeleted = "segment.deleted";
    public const string SegmentEvaluationRequested = "segment.evaluation_requested";
    public const string SegmentExported = "segment.members_exported";
}

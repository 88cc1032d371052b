using System.Text;
using System.Text.Json.Nodes;
using ProfileStudio.Core.Auditing;
using ProfileStudio.Core.Identity;
using ProfileStudio.Core.Sources;

namespace ProfileStudio.Core.Ingestion;

public sealed record StudioEditResult(bool Succeeded, string? Error = null, long? MessageId = null);

/// <summary>
/// An attribute edited in the studio is an <c>identify</c> from the source "Studio edits", parsed and
/// written to the lake exactly as the Tracking API does; the unification worker applies it like any
/// other message, so the edit has lineage, survives a rebuild, and competes under merge policies.
/// </summary>
public sealed class StudioEdits(SourceRegistry sources, LakeWriter lake, AuditLog audit, TimeProvider time)
{
    public const string SourceName = "Studio edits";

    /// <summary>Why a profile without a user_id or an anonymous_id cannot be edited here, said before anyone types.</summary>
    public const string NotEditable =
        "This profile has no user_id or anonymous_id, so it cannot be edited here: an edit is sent as an identify, "
        + "and an identify needs one of them, as the Tracking API requires. Send the change from a source that knows "
        + "this person instead, for example a file with their e-mail.";

    /// <summary>
    /// The identity an edit of a profile is sent with: a user_id, else an anonymous_id, the first of each in
    /// the order given (the namespaces' priority); null when the profile has neither. Any one of them
    /// resolves to the whole profile, so it need not be the primary identity (a CRM id, an e-mail).
    /// </summary>
    public static IdentityKey? EditableIdentity(IEnumerable<IdentityKey> identities)
    {
        var keys = identities.ToList();
        return keys.Where(k => k.Namespace == "user_id").Concat(keys.Where(k => k.Namespace == "anonymous_id"))
            .Select(k => (IdentityKey?)k).FirstOrDefault();
    }

    private readonly SemaphoreSlim _create = new(1, 1);

    /// <summary>
    /// Sets <paramref name="key"/> (dotted for nested, e.g. <c>address.city</c>) to <paramref name="value"/>
    /// (JSON when it parses as JSON, else the text; null removes it) on the profile <paramref name="identity"/> belongs to.
    /// </summary>
    public async Task<StudioEditResult> SetAttributeAsync(AuditActor actor, IdentityKey identity, string key, string? value, CancellationToken ct = default)
    {
        key = key.Trim();
        if (AttributeKeys.Problem(key) is { } problem)
        {
            return new StudioEditResult(false, problem);
        }
        var message = new JsonObject { ["type"] = "identify", ["messageId"] = $"studio-edit-{Guid.NewGuid():N}" };
        switch (identity.Namespace)
        {
            case "user_id":
                message["userId"] = identity.Value;
                break;
            case "anonymous_id":
                message["anonymousId"] = identity.Value;
                break;
            default:
                return new StudioEditResult(false, NotEditable);
        }
        var traits = new JsonObject();
        var parent = traits;
        var segments = key.Split('.');
        foreach (var segment in segments[..^1])
        {
            var child = new JsonObject();
            parent[segment] = child;
            parent = child;
        }
        parent[segments[^1]] = Parse(value);
        message["traits"] = traits;
        message["context"] = new JsonObject { ["studio"] = new JsonObject { ["editedBy"] = actor.Name } };

        var source = await EnsureSourceAsync(ct);
        if (source is null)
        {
            return new StudioEditResult(false, $"The source \"{SourceName}\" could not be created.");
        }
        var parsed = TrackingMessageParser.Parse(Encoding.UTF8.GetBytes(message.ToJsonString()), "identify", time.GetUtcNow().UtcDateTime);
        if (parsed.Error is not null || parsed.Request!.Messages[0].Error is { })
        {
            return new StudioEditResult(false, parsed.Error ?? parsed.Request!.Messages[0].Error);
        }
        var written = await lake.WriteAsync(source.Value, parsed.Request.Messages, null, ct);
        if (written.Accepted != 1)
        {
            return new StudioEditResult(false, "The edit was not accepted into the lake.");
        }
        await audit.RecordAsync(actor, AuditActions.ProfileAttributeEdited, $"{identity.Namespace}:{identity.Value}",
            $"{key} = {(value is null ? "null (removed)" : value)}", ct);
        return new StudioEditResult(true);
    }

    /// <summary>JSON when the text is a JSON number, boolean, object or array; otherwise the text itself.</summary>
    internal static JsonNode? Parse(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var trimmed = value.Trim();
        if (trimmed is "true" or "false" || trimmed.StartsWith('{') || trimmed.StartsWith('[') || double.TryParse(trimmed, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            try
            {
                return JsonNode.Parse(trimmed);
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        return JsonValue.Create(value);
    }

    private async Task<int?> EnsureSourceAsync(CancellationToken ct)
    {
        await _create.WaitAsync(ct);
        try
        {
            var names = await sources.NamesAsync(ct);
            foreach (var (id, name) in names)
            {
                if (name == SourceName)
                {
                    return id;
                }
            }
            var created = await sources.CreateStudioEditsAsync("Attribute edits made in the profile explorer, written to the lake like any other data.", ct);
            return created.Source?.Id;
        }
        finally
        {
            _create.Release();
        }
    }
}

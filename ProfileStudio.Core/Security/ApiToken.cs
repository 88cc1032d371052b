namespace ProfileStudio.Core.Security;

/// <summary>A credential for the HTTP APIs, with the scopes it grants. The secret is shown once and stored only as a hash.</summary>
public sealed class ApiToken
{
    public int Id { get; set; }
    public string Name { get; set; } = "";

    /// <summary>SHA-256 of the secret, lower-case hex.</summary>
    public string SecretHash { get; set; } = "";

    /// <summary>The secret's first characters (see <see cref="ApiTokenSecrets.Prefix"/>), so people can recognise it.</summary>
    public string Prefix { get; set; } = "";

    public List<string> Scopes { get; set; } = [];

    public DateTime CreatedAt { get; set; }

    /// <summary>Who created it, as the audit log names them (an email, or <c>configuration</c>).</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary>Written at most once a minute per token, so it may lag the last request by that much.</summary>
    public DateTime? LastUsedAt { get; set; }

    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    /// <summary>Provisioned from <c>ProfileStudio:Bootstrap:ApiTokens</c>.</summary>
    public bool FromConfiguration { get; set; }

    public bool IsRevoked => RevokedAt is not null;
}

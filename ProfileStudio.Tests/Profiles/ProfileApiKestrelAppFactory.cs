using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ProfileStudio.Tests.Profiles;

/// <summary>
/// <see cref="ProfileApiAppFactory"/> on a real Kestrel port: the request target reaches the app as the client wrote it
/// (the test host has no raw target), which is where an identifier's percent-encoding is read.
/// </summary>
public sealed class ProfileApiKestrelAppFactory : ProfileApiAppFactory
{
    private Uri? _address;

    public ProfileApiKestrelAppFactory() => UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));

    public Uri Address
    {
        get
        {
            if (_address is null)
            {
                StartServer();
                var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
                _address = new Uri(addresses.Single().TrimEnd('/') + "/");
            }
            return _address;
        }
    }

    /// <summary>A client of the real port with the reader's token.</summary>
    public HttpClient ReaderClient()
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ReaderToken);
        return client;
    }
}

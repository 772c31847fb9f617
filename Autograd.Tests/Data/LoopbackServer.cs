using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Autograd.Tests.Data;

/// <summary>A minimal HTTP server on 127.0.0.1 serving fixed files, for download tests (loopback only).</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, byte[]> _files = new();

    public Uri BaseUrl { get; }
    public ConcurrentQueue<string> Requests { get; } = new();

    public LoopbackServer()
    {
        int port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/data/");
        // The whole host, not only /data/: a request elsewhere (a "missing mirror") then gets this server's own 404
        // below. Left to HttpListener's built-in 404, the next request on that kept-alive connection sometimes came
        // back as a 200 with an empty body (a flaky LaterMirrorIsTriedWhenTheFirstFails).
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public void Serve(string name, byte[] content) => _files[name] = content;

    /// <summary>A loopback port that nothing listens on (the OS just handed it out and it was released).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            // Each request on its own task, and no exception may end the accept loop: a client that gives up early
            // (timeouts, the next mirror) must not take the server down for the requests after it.
            _ = Task.Run(() => RespondAsync(ctx));
        }
    }

    private async Task RespondAsync(HttpListenerContext ctx)
    {
        string path = ctx.Request.Url!.AbsolutePath;
        string name = path.Split('/')[^1];
        Requests.Enqueue(name);
        try
        {
            if (path.StartsWith(BaseUrl.AbsolutePath, StringComparison.Ordinal) && _files.TryGetValue(name, out var body))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentLength64 = body.Length;
                await ctx.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                ctx.Response.StatusCode = 404;
                ctx.Response.ContentLength64 = 0;
            }
            ctx.Response.Close();
        }
        catch (Exception)
        {
            try { ctx.Response.Abort(); } catch (Exception) { /* the connection is already gone */ }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

using System.Globalization;
using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Raccoon.Research.Tests.Support;

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol (a WebSocket bound to 127.0.0.1):
/// opens a page and evaluates JavaScript in it. No driver or download needed.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string Executable = "/usr/bin/chromium";

    readonly Process process;
    readonly string profileDir;
    readonly int port;

    HeadlessChromium(Process process, string profileDir, int port)
    {
        this.process = process;
        this.profileDir = profileDir;
        this.port = port;
    }

    /// <summary>Starts chromium with a window of <paramref name="width"/> x <paramref name="height"/> CSS pixels.</summary>
    public static HeadlessChromium Open(string url, int width = 800, int height = 600)
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing: install Debian's chromium (.ci/run does)");
        string profile = Repo.TempDir("chromium-profile");
        var psi = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage",
                     $"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                     $"--window-size={width},{height}", url })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            string? line = p.StandardError.ReadLine();
            if (line is null) break;
            var m = Regex.Match(line, @"DevTools listening on ws://127\.0\.0\.1:(\d+)/");
            if (m.Success)
            {
                p.StandardError.ReadToEndAsync();
                return new HeadlessChromium(p, profile, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }
        p.Kill(true);
        throw new InvalidOperationException("chromium did not open its DevTools port");
    }

    /// <summary>Opens the first page's DevTools session.</summary>
    async Task<ClientWebSocket> ConnectAsync(CancellationToken cancel)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string? ws = null;
        for (int i = 0; i < 100 && ws is null; i++)
        {
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", cancel))!.AsArray();
            ws = targets.FirstOrDefault(t => t?["type"]?.GetValue<string>() == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            if (ws is null) await Task.Delay(100, cancel);
        }
        if (ws is null) throw new InvalidOperationException("chromium opened no page");
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(ws), cancel);
        return socket;
    }

    int nextId;

    /// <summary>Sends one DevTools command and returns its result, skipping events.</summary>
    async Task<JsonNode?> SendAsync(ClientWebSocket socket, string method, JsonObject parameters, CancellationToken cancel)
    {
        int id = ++nextId;
        var request = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, cancel);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult r;
            do
            {
                r = await socket.ReceiveAsync(buffer, cancel);
                message.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            var reply = JsonNode.Parse(message.ToArray())!;
            if (reply["id"]?.GetValue<int>() != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            return reply["result"];
        }
    }

    /// <summary>Loads <paramref name="url"/>, waits for it to finish loading, then evaluates <paramref name="expression"/> (a promise is awaited) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string url, string expression, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout + TimeSpan.FromSeconds(60));
        using var socket = await ConnectAsync(cancel.Token);
        await SendAsync(socket, "Page.navigate", new JsonObject { ["url"] = url }, cancel.Token);
        for (int i = 0; ; i++)
        {
            var state = await SendAsync(socket, "Runtime.evaluate", new JsonObject
            {
                ["expression"] = "location.href + ' ' + document.readyState", ["returnByValue"] = true,
            }, cancel.Token);
            if (state?["result"]?["value"]?.GetValue<string>() == url + " complete") break;
            if (i > 600) throw new TimeoutException($"chromium did not load {url}: {state?.ToJsonString()}");
            await Task.Delay(100, cancel.Token);
        }
        var result = await SendAsync(socket, "Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true,
        }, cancel.Token);
        if (result?["exceptionDetails"] is { } thrown) throw new InvalidOperationException("page script failed: " + thrown.ToJsonString());
        return result?["result"]?["value"];
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited) process.Kill(true);
            process.WaitForExit(10_000);
        }
        finally
        {
            process.Dispose();
            try { Directory.Delete(profileDir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Opens an HTML file and counts its figures (the library's div.plotly-figure) and those plotly.js actually drew (an SVG inside).</summary>
    public static async Task<(int Figures, int Drawn)> CountChartsAsync(string htmlPath)
    {
        string url = new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri;
        using var browser = Open("about:blank");
        const string script = """
            new Promise(resolve => {
              const count = () => ({
                figures: document.querySelectorAll('div.plotly-figure').length,
                drawn: [...document.querySelectorAll('div.plotly-figure')].filter(p => p.querySelector('svg.main-svg')).length,
                href: location.href, ready: document.readyState, plotly: typeof Plotly });
              const start = Date.now();
              const poll = () => {
                const c = count();
                if (document.readyState === 'complete' && (c.drawn >= c.figures || Date.now() - start > 20000)) resolve(c);
                else setTimeout(poll, 100);
              };
              poll();
            })
            """;
        var value = await browser.EvaluateAsync(url, script, TimeSpan.FromSeconds(40));
        return (value!["figures"]!.GetValue<int>(), value["drawn"]!.GetValue<int>());
    }
}

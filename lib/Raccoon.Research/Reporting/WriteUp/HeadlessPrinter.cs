using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>
/// Debian's chromium run headless from the command line: prints a page to PDF once its charts have
/// drawn, and turns Plotly figures into SVG and PNG files with plotly.js's own Plotly.toImage. Chromium
/// runs with a virtual-time budget, so the page's scripts (plotly.js drawing, toImage's promises) finish
/// before it prints or dumps the page. Nothing is fetched from the network.
/// </summary>
public static class HeadlessPrinter
{
    /// <summary>The chromium executable: RACCOON_CHROMIUM if set, else /usr/bin/chromium, else chromium on PATH; null where none.</summary>
    public static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("RACCOON_CHROMIUM");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        if (File.Exists("/usr/bin/chromium")) return "/usr/bin/chromium";
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    /// <summary>Prints <paramref name="htmlPath"/> to <paramref name="pdfPath"/> (A4, backgrounds, no header or footer).</summary>
    public static void PrintPdf(string chromium, string htmlPath, string pdfPath)
    {
        string tmp = pdfPath + ".tmp";
        if (File.Exists(tmp)) File.Delete(tmp);
        Run(chromium, ["--no-pdf-header-footer", "--print-to-pdf=" + Path.GetFullPath(tmp), Url(htmlPath)], TimeSpan.FromMinutes(3));
        if (!File.Exists(tmp) || new FileInfo(tmp).Length == 0)
            throw new InvalidOperationException($"chromium printed no PDF of {htmlPath}");
        File.Move(tmp, pdfPath, overwrite: true);
    }

    /// <summary>Each figure as an SVG and a PNG (2x scale) at <paramref name="width"/> px and its own height, under the
    /// names given, in <paramref name="dir"/>. Returns the files written.</summary>
    public static IReadOnlyList<string> ExportImages(string chromium, IReadOnlyList<(Figure Figure, string Name)> figures, string dir, int width = 900)
    {
        Directory.CreateDirectory(dir);
        if (figures.Count == 0) return [];
        string work = Path.Combine(Path.GetTempPath(), "raccoon-images-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            File.WriteAllText(Path.Combine(work, "plotly.min.js"), PlotlyJs.Source);
            var page = new System.Text.StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script src=\"plotly.min.js\"></script></head><body><script>\nconst figs = [\n");
            foreach (var (f, _) in figures) page.Append(f.PlotlyJson).Append(",\n");
            page.Append($$"""
                ];
                (async () => {
                  for (let i = 0; i < figs.length; i++) {
                    const div = document.createElement('div');
                    const h = (figs[i].layout && figs[i].layout.height) || 420;
                    div.style.width = '{{width}}px'; div.style.height = h + 'px';
                    document.body.appendChild(div);
                    const layout = Object.assign({}, figs[i].layout, {width: {{width}}, height: h});
                    await Plotly.newPlot(div, figs[i].data, layout, {staticPlot: true});
                    for (const format of ['svg', 'png']) {
                      const url = await Plotly.toImage(div, {format: format, width: {{width}}, height: h, scale: format === 'png' ? 2 : 1});
                      const out = document.createElement('textarea');
                      out.id = 'out-' + i + '-' + format; out.textContent = url;
                      document.body.appendChild(out);
                    }
                    Plotly.purge(div); div.remove();
                  }
                  const done = document.createElement('p'); done.id = 'images-done'; document.body.appendChild(done);
                })().catch(e => { const p = document.createElement('pre'); p.id = 'images-error'; p.textContent = String(e); document.body.appendChild(p); });
                </script></body></html>
                """);
            string html = Path.Combine(work, "images.html");
            File.WriteAllText(html, page.ToString());
            string dom = Run(chromium, ["--dump-dom", Url(html)], TimeSpan.FromMinutes(3));
            var error = Regex.Match(dom, "<pre id=\"images-error\">(.*?)</pre>", RegexOptions.Singleline);
            if (error.Success) throw new InvalidOperationException("plotly.js could not make the images: " + System.Net.WebUtility.HtmlDecode(error.Groups[1].Value));
            if (!dom.Contains("id=\"images-done\"")) throw new InvalidOperationException("chromium stopped before plotly.js made every image");
            var written = new List<string>();
            for (int i = 0; i < figures.Count; i++)
                foreach (var format in new[] { "svg", "png" })
                {
                    var m = Regex.Match(dom, $"<textarea id=\"out-{i}-{format}\">(.*?)</textarea>", RegexOptions.Singleline);
                    if (!m.Success) throw new InvalidOperationException($"no {format} came back for figure '{figures[i].Figure.Title}'");
                    string url = System.Net.WebUtility.HtmlDecode(m.Groups[1].Value);
                    byte[] bytes = DataUrl(url);
                    string path = Path.Combine(dir, figures[i].Name + "." + format);
                    IO.AtomicFile.WriteAllBytes(path, bytes);
                    written.Add(path);
                }
            return written;
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The bytes of a data: URL, base64 or percent-encoded.</summary>
    public static byte[] DataUrl(string url)
    {
        int comma = url.IndexOf(',');
        if (!url.StartsWith("data:", StringComparison.Ordinal) || comma < 0) throw new FormatException("not a data: URL: " + url[..Math.Min(40, url.Length)]);
        string header = url[..comma], body = url[(comma + 1)..];
        return header.EndsWith(";base64", StringComparison.Ordinal) ? Convert.FromBase64String(body)
            : System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(body));
    }

    static string Url(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    /// <summary>Runs chromium headless with the arguments, in a throwaway profile; returns its standard output.</summary>
    static string Run(string chromium, IReadOnlyList<string> args, TimeSpan timeout)
    {
        string profile = Path.Combine(Path.GetTempPath(), "raccoon-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-extensions",
                     "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage", "--run-all-compositor-stages-before-draw",
                     "--virtual-time-budget=60000", $"--user-data-dir={profile}" })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {chromium}");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(true);
                throw new TimeoutException($"chromium did not finish within {timeout.TotalSeconds:F0} s");
            }
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"chromium exited {p.ExitCode}: {stderr.Result.Trim()}");
            return stdout.Result;
        }
        finally
        {
            try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

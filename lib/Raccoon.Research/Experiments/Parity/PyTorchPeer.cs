using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using Raccoon.Research.Views;

namespace Raccoon.Research.Experiments.Parity;

/// <summary>
/// The PyTorch side of the parity benchmark: a Python process running <c>benchmarks/pytorch/serve.py</c>
/// (copied beside the library as <c>pytorch/</c>), asked one JSON line at a time. It computes only while
/// it is asked, so its timings and the C# ones are taken in turns and never compete for the cores.
/// </summary>
public sealed class PyTorchPeer : IDisposable
{
    /// <summary>The Debian packages that give the PyTorch side (README's set-up names them).</summary>
    public const string DebianPackages = "python3-torch libopenblas0-pthread";

    /// <summary>Environment variable naming the Python interpreter to use instead of the default search.</summary>
    public const string PythonVariable = "RACCOON_PYTHON";

    readonly Process process;
    readonly List<string> stderr = [];

    public string Python { get; }
    public string TorchVersion { get; }
    public string TorchConfig { get; }
    public IReadOnlyList<string> Cases { get; }

    PyTorchPeer(string python, int threads)
    {
        Python = python;
        string script = Path.Combine(ScriptFolder, "serve.py");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false, WorkingDirectory = ScriptFolder,
        };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add(script);
        // The same thread count for every pool the PyTorch side may use (OpenMP, OpenBLAS, oneDNN).
        foreach (var v in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" })
            start.Environment[v] = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Add(e.Data); };
        process.BeginErrorReadLine();
        var hello = Ask(new JsonObject { ["op"] = "hello" });
        TorchVersion = hello["torch"]!.GetValue<string>();
        TorchConfig = hello["config"]!.GetValue<string>();
        Cases = hello["cases"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
    }

    /// <summary>The folder holding serve.py and the documents' PyTorch modules.</summary>
    public static string ScriptFolder => Path.Combine(AppContext.BaseDirectory, "pytorch");

    /// <summary>Starts the PyTorch side, or throws saying what to install when no Python here imports torch.</summary>
    public static PyTorchPeer Start(int threads)
    {
        if (!File.Exists(Path.Combine(ScriptFolder, "serve.py")))
            throw new InvalidOperationException($"the PyTorch side is missing: {Path.Combine(ScriptFolder, "serve.py")} (rebuild the project)");
        return new PyTorchPeer(FindPython(), threads);
    }

    /// <summary>The first of $RACCOON_PYTHON, /usr/bin/python3 (Debian's, where python3-torch installs) and
    /// python3 on PATH that imports torch.</summary>
    public static string FindPython()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } chosen) candidates.Add(chosen);
        candidates.Add("/usr/bin/python3");
        candidates.Add("python3");
        var tried = new List<string>();
        foreach (var c in candidates.Distinct())
        {
            string? problem = ImportsTorch(c);
            if (problem is null) return c;
            tried.Add($"{c}: {problem}");
        }
        throw new InvalidOperationException(
            $"no Python here imports torch, so the PyTorch side cannot run (install Debian's {DebianPackages}: " +
            $"apt-get install {DebianPackages}; or set {PythonVariable}). Tried: {string.Join("; ", tried)}");
    }

    static string? ImportsTorch(string python)
    {
        try
        {
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import torch");
            using var p = Process.Start(start)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : err.Trim().Split('\n')[^1];
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
    }

    /// <summary>Builds <paramref name="c"/> on the PyTorch side with the case's step recipe: its parameter count and sorted
    /// parameter shapes. serve.py echoes the recipe it will apply; one that differs from the case's is an error, so the
    /// two sides cannot time different steps.</summary>
    public (long Parameters, IReadOnlyList<string> Shapes) Build(ParityCase c, int seed, int threads)
    {
        var args = new JsonObject();
        foreach (var (k, v) in c.Arguments) args[k] = JsonSerializer.SerializeToNode(v);
        var recipe = Wire(c.Recipe);
        var answer = Ask(new JsonObject { ["op"] = "build", ["case"] = c.Key, ["args"] = args, ["seed"] = seed, ["threads"] = threads, ["recipe"] = recipe });
        var applied = answer["recipe"] ?? throw new InvalidOperationException($"{c.Key}: the PyTorch side did not say which step recipe it applies");
        if (!SameRecipe(recipe, applied))
            throw new InvalidOperationException($"{c.Key}: the PyTorch side applies step recipe {applied.ToJsonString()}, the case declares {recipe.ToJsonString()}");
        return (answer["parameters"]!.GetValue<long>(), answer["shapes"]!.AsArray().Select(s => s!.GetValue<string>()).ToList());
    }

    /// <summary>Whether an echoed recipe is the one sent: the same keys, numbers equal as numbers (0 and 0.0 alike).</summary>
    public static bool SameRecipe(JsonObject sent, JsonNode echoed)
    {
        if (echoed is not JsonObject o || o.Count != sent.Count) return false;
        foreach (var (k, v) in sent)
        {
            if (!o.TryGetPropertyValue(k, out var w)) return false;
            if (v is null || w is null) { if (v is not null || w is not null) return false; continue; }
            var kind = v.GetValueKind();
            if (kind == JsonValueKind.Number ? w.GetValueKind() != JsonValueKind.Number || v.GetValue<double>() != w.GetValue<double>() : !JsonNode.DeepEquals(v, w))
                return false;
        }
        return true;
    }

    /// <summary>The recipe as sent to serve.py (<see cref="StepRecipe.ToWire"/>).</summary>
    public static JsonObject Wire(StepRecipe recipe)
    {
        var o = new JsonObject();
        foreach (var (k, v) in recipe.ToWire()) o[k] = v is null ? null : JsonSerializer.SerializeToNode(v);
        return o;
    }

    /// <summary>One training step of the model last built, as its recipe takes it, untimed: the loss read in the step and
    /// the total gradient norm before the clip and after it (NaN where the recipe does not clip).</summary>
    public (double Loss, double NormBeforeClip, double NormAfterClip) Step()
    {
        var a = Ask(new JsonObject { ["op"] = "step" });
        return (a["loss"]!.GetValue<double>(), a["norm_before_clip"]?.GetValue<double>() ?? double.NaN, a["norm_after_clip"]?.GetValue<double>() ?? double.NaN);
    }

    /// <summary>Runs the function check of <paramref name="c"/> on the PyTorch side (serve.py's <c>check</c>): it reads
    /// weights.safetensors and inputs.safetensors from <paramref name="folder"/> and writes result.safetensors there.</summary>
    public void Check(ParityCase c, string folder, int seed, int threads, int steps, double lr)
    {
        var check = c.Check ?? throw new ArgumentException($"case {c.Key} has no function check", nameof(c));
        var args = new JsonObject();
        foreach (var (k, v) in check.Arguments) args[k] = JsonSerializer.SerializeToNode(v);
        Ask(new JsonObject
        {
            ["op"] = "check", ["case"] = c.Key, ["args"] = args, ["folder"] = folder, ["seed"] = seed, ["threads"] = threads,
            ["steps"] = steps, ["lr"] = lr,
        });
    }

    /// <summary>Seconds of each of <paramref name="repeats"/> steps ("inference" or "train") of the model last built.</summary>
    public double[] Time(string step, int warmup, int repeats) =>
        Seconds(Ask(new JsonObject { ["op"] = "time", ["step"] = step, ["warmup"] = warmup, ["repeats"] = repeats }));

    /// <summary>Seconds of each of <paramref name="repeats"/> calls of one fp32 kernel at <paramref name="size"/>.</summary>
    public double[] Peak(string kind, IReadOnlyDictionary<string, int> size, int threads, int warmup, int repeats)
    {
        var s = new JsonObject();
        foreach (var (k, v) in size) s[k] = v;
        return Seconds(Ask(new JsonObject { ["op"] = "peak", ["kind"] = kind, ["size"] = s, ["threads"] = threads, ["warmup"] = warmup, ["repeats"] = repeats }));
    }

    static double[] Seconds(JsonNode answer) => answer["seconds"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();

    JsonNode Ask(JsonObject request)
    {
        if (process.HasExited) throw new InvalidOperationException($"the PyTorch side ({Python}) has exited with code {process.ExitCode}: {StderrTail()}");
        process.StandardInput.WriteLine(request.ToJsonString());
        process.StandardInput.Flush();
        string? line = process.StandardOutput.ReadLine();
        if (line is null)
        {
            process.WaitForExit(5000);
            throw new InvalidOperationException($"the PyTorch side ({Python}) stopped answering: {StderrTail()}");
        }
        var answer = JsonNode.Parse(line) ?? throw new InvalidOperationException($"the PyTorch side answered '{line}'");
        if (answer["error"] is JsonNode error)
            throw new InvalidOperationException($"the PyTorch side failed on {request["op"]}{(request["case"] is JsonNode k ? $" of {k}" : "")}: {error.GetValue<string>()}");
        return answer;
    }

    string StderrTail()
    {
        lock (stderr) return string.Join("\n", stderr.TakeLast(20));
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.WriteLine("{\"op\": \"quit\"}");
                process.StandardInput.Flush();
                if (!process.WaitForExit(10_000)) process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // already gone
        }
        process.Dispose();
    }
}

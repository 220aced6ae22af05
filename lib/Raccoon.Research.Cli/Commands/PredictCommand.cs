using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Models;
using Raccoon.Research.Runtime;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Cli.Commands;

/// <summary>
/// predict: loads a saved checkpoint and classifies log lines one request at a time, then reports the
/// cold start (from the operating system's start of this process to the first prediction printed)
/// and the latency of that first inference.
/// </summary>
static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint file written by the trainer", Required = true };
        var text = new Option<string[]>("--text") { Description = "A log line to classify (repeatable)", AllowMultipleArgumentsPerToken = true };
        var stdin = new Option<bool>("--stdin") { Description = "Also classify every line of standard input" };
        var fold = new Option<bool>("--fold-unknown") { Description = "Map characters outside the vocabulary to '_' as upstream's encoders do, instead of refusing them" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("predict", "Classify log lines with a saved model and report cold start and first-inference latency")
        {
            model, text, stdin, fold, threads,
        };
        cmd.SetAction(parse => Cli.Guard(() => Run(
            parse.GetValue(model)!, parse.GetValue(text) ?? [], parse.GetValue(stdin), parse.GetValue(fold),
            CommonOptions.ParseThreads(parse.GetValue(threads)))));
        return cmd;
    }

    static int Run(string modelPath, string[] texts, bool readStdin, bool foldUnknown, int threads)
    {
        DateTime processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        if (texts.Length == 0 && !readStdin) throw new UsageException("nothing to classify: give --text \"LINE\" or --stdin");
        TorchRuntime.Initialize(threads);

        var (module, header) = Checkpoint.LoadModel(modelPath);
        if (module is not ISequenceClassifier classifier)
            throw new InvalidDataException($"checkpoint '{modelPath}' holds a '{header.Meta.ModelKind}' model, which does not classify text; predict takes a log classifier's checkpoint");
        var vocabulary = header.Meta.Vocabulary is string name
            ? CharVocabulary.ByName(name)
            : throw new InvalidDataException($"checkpoint '{modelPath}' records no vocabulary, so its input characters are unknown");
        var classNames = header.Meta.ClassNames ?? Enumerable.Range(0, classifier.Classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();
        module.eval();

        int n = 0;
        double firstInferenceMs = 0, totalInferenceMs = 0;
        using var noGrad = no_grad();
        foreach (var line in Lines(texts, readStdin))
        {
            n++;
            string padded = header.Meta.SequenceLength is int t ? vocabulary.PadOrTruncate(line, t) : line;
            long[] ids;
            try
            {
                ids = foldUnknown ? vocabulary.EncodeFolding(padded) : vocabulary.Encode(padded);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"line {n}: {e.Message} (pass --fold-unknown to map such characters to '_')");
            }
            if (ids.Length == 0) throw new UsageException($"line {n} is empty");
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var probs = classifier.Logits(tensor(ids, [1, ids.Length], ScalarType.Int64)).softmax(1); // (1, C)
            int predicted = (int)probs.argmax(1).ToInt64();
            double confidence = probs[0, predicted].ToDouble();
            double ms = clock.Elapsed.TotalMilliseconds;
            totalInferenceMs += ms;
            Console.Out.WriteLine($"{classNames[predicted]}\t{confidence.ToString("F3", CultureInfo.InvariantCulture)}\t{line}");
            if (n == 1)
            {
                Console.Out.Flush();
                double coldMs = (DateTime.UtcNow - processStart).TotalMilliseconds;
                firstInferenceMs = ms;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold start: {coldMs:F1} ms (process start to first prediction)"));
            }
        }
        if (n == 0) throw new UsageException("nothing to classify: standard input was empty");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first inference: {firstInferenceMs:F3} ms"));
        if (Raccoon.Research.Measurements.ProcessMemory.Read().PeakResidentBytes is long peak) // the serving footprint R0-11 reports
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak resident memory: {peak / 1e6:F1} MB"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"predicted {n} line(s) with '{header.Meta.ModelKind}' ({header.Parameters} parameters), mean inference {totalInferenceMs / n:F3} ms, {threads} thread(s)"));
        return 0;
    }

    static IEnumerable<string> Lines(string[] texts, bool readStdin)
    {
        foreach (var t in texts) yield return t;
        if (!readStdin) yield break;
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
            if (line.Length > 0) yield return line;
    }
}

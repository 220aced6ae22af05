using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Measurements;

public class CodeMetricsTests
{
    // Hand-counted: comments, blank lines and the #region lines do not count; a line with code and a comment does.
    const string Sample = """
        using System;

        namespace Demo;

        /// <summary>A doc comment.</summary>
        public class Gate
        {
            // a comment line
            int count;   // trailing comment: still a code line

            #region helpers
            public int Straight(int x) => x + 1;
            #endregion

            /* block
               comment */
            public int Branchy(int x, int? y)
            {
                if (x > 0 && y is not null) return 1;       // if, &&
                else if (x < 0 || x == -5) return 2;        // if, ||
                for (int i = 0; i < 3; i++) count++;        // for
                foreach (var c in "ab") count += c;         // foreach
                while (count > 100) count /= 2;             // while
                do { count--; } while (count > 50);         // do
                int z = y ?? 0;                             // ??
                y ??= 4;                                    // ??=
                return z > 1 ? z : -z;                      // ?:
            }

            public string Switchy(int x)
            {
                switch (x)
                {
                    case 1: return "one";                   // case
                    case 2:                                 // case
                    case 3: return "few";                   // case
                    default: return "many";                 // default: not a decision
                }
            }

            public string Arms(int x) => x switch
            {
                0 => "zero",                                // arm
                < 0 => "negative",                          // arm
                _ => "positive",                            // final discard: the default
            };

            public int Guarded()
            {
                try { return int.Parse("1"); }
                catch (FormatException) { return 0; }       // catch
                catch (OverflowException) { return -1; }    // catch
            }

            public int Lambda() => new[] { 1, 2 }.Count(v => v > 1 && v < 5); // && inside a lambda

            public int Count { get => count; set { if (value >= 0) count = value; } }
        }

        public record Point(int X, int Y);
        """;

    static TypeMetrics Gate => CodeMetrics.OfSource(Sample).Single(t => t.Name == "Gate");
    static MethodMetrics Method(string name) => Gate.Methods.Single(m => m.Name == name);

    [Fact]
    public void Complexity_is_one_plus_each_decision_point()
    {
        Assert.Equal(1, Method("Straight").Complexity);
        Assert.Equal(1 + 11, Method("Branchy").Complexity); // if, &&, if, ||, for, foreach, while, do, ??, ??=, ?:
        Assert.Equal(1 + 3, Method("Switchy").Complexity);
        Assert.Equal(1 + 2, Method("Arms").Complexity);
        Assert.Equal(1 + 2, Method("Guarded").Complexity);
        Assert.Equal(1 + 1, Method("Lambda").Complexity);
        Assert.Equal(1, Method("Count.get").Complexity);
        Assert.Equal(1 + 1, Method("Count.set").Complexity);
        Assert.Equal(1 + 12 + 4 + 3 + 3 + 2 + 1 + 2, Gate.TotalComplexity);
        Assert.Equal(8, Gate.Methods.Count);
    }

    [Fact]
    public void Code_lines_leave_out_blank_comment_and_directive_lines()
    {
        Assert.Equal(1, Method("Straight").CodeLines);
        Assert.Equal(12, Method("Branchy").CodeLines);
        Assert.Equal(6, Method("Guarded").CodeLines);
        Assert.Equal(10, Method("Switchy").CodeLines);
        Assert.Equal(6, Method("Arms").CodeLines);
        // class Gate: 'public class Gate', '{' and '}', the field, then the members (Straight ... Count).
        Assert.Equal(3 + 1 + 1 + 12 + 10 + 6 + 6 + 1 + 1, Gate.CodeLines);
        // The file: using, namespace, Gate, and the record.
        Assert.Equal(1 + 1 + Gate.CodeLines + 1, CodeMetrics.CodeLines(Sample));
    }

    [Fact]
    public void Types_are_listed_with_nested_names_and_summarised_by_component()
    {
        var types = CodeMetrics.OfSource("class A { class B { void M() { if (true) { } } } void N() { } }", "x.cs");
        Assert.Equal(["A", "A.B"], types.Select(t => t.Name));
        Assert.Equal(["N"], types[0].Methods.Select(m => m.Name));
        Assert.Equal(2, types[1].Methods.Single().Complexity);
        var summary = CodeMetrics.Summarise("both", types);
        Assert.Equal(1, summary.CodeLines); // A holds B on its single line: counted once
        Assert.Equal(2, summary.Methods);
        Assert.Equal(1.5, summary.MeanComplexity);
        Assert.Contains("no type named missing", Assert.Throws<ArgumentException>(() => CodeMetrics.Summarise("c", types, ["missing"])).Message);
        var point = CodeMetrics.OfSource(Sample).Single(t => t.Name == "Point");
        Assert.Empty(point.Methods);
        Assert.Equal(1, point.CodeLines);
    }

    [Fact]
    public void It_measures_this_project_s_own_files()
    {
        string file = Path.Combine(Repo.Root, "lib", "Raccoon.Research", "Measurements", "CodeMetrics.cs");
        var types = CodeMetrics.OfFiles([file]);
        var metrics = types.Single(t => t.Name == "CodeMetrics");
        Assert.Contains(metrics.Methods, m => m.Name == "Complexity");
        Assert.True(metrics.CodeLines < CodeMetrics.CodeLines(File.ReadAllText(file)));
    }
}

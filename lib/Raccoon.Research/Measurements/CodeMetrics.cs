using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Raccoon.Research.Measurements;

/// <summary>Size and cyclomatic complexity of one method-like member (method, constructor, operator, accessor, expression-bodied property).</summary>
public sealed record MethodMetrics(string Type, string Name, string File, int Line, int CodeLines, int Complexity);

/// <summary>Size of one type declaration (nested types included in its lines) and the metrics of its own members.</summary>
public sealed record TypeMetrics(string Name, string File, int Line, int CodeLines, IReadOnlyList<MethodMetrics> Methods)
{
    /// <summary>Sum of the members' complexities (Visual Studio's class complexity).</summary>
    public int TotalComplexity => Methods.Sum(m => m.Complexity);
    public double MeanComplexity => Methods.Count == 0 ? double.NaN : Methods.Average(m => m.Complexity);
    public int MaxComplexity => Methods.Count == 0 ? 0 : Methods.Max(m => m.Complexity);
}

/// <summary>A component (a set of types) summarised the way document 000 tabulates code: lines and mean complexity per method.</summary>
public sealed record CodeSummary(string Name, int Types, int CodeLines, int Methods, double MeanComplexity, int MaxComplexity, int TotalComplexity);

/// <summary>
/// Lines of code and cyclomatic complexity of C# source, from Roslyn's syntax tree.
/// A code line is a line on which some token lies: blank lines, comment-only lines and preprocessor
/// lines do not count. Complexity is 1 + decision points: if, while, do, for, foreach, each case
/// label (not default), catch, &&, ||, ?:, ??, ??=, and each switch-expression arm except a final
/// discard arm (the counterpart of default). Lambdas and local functions count toward the member that holds them.
/// </summary>
public static class CodeMetrics
{
    public static IReadOnlyList<TypeMetrics> OfFiles(IEnumerable<string> paths) =>
        paths.SelectMany(p => OfSource(File.ReadAllText(p), p)).ToList();

    /// <summary>Every type declared in <paramref name="source"/> (nested ones as Outer.Inner), with its members.</summary>
    public static IReadOnlyList<TypeMetrics> OfSource(string source, string file = "<source>")
    {
        var root = Parse(source, file);
        return root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t =>
        {
            string name = TypeName(t);
            var members = t is TypeDeclarationSyntax td
                ? td.Members.SelectMany(m => Measurable(m)).Select(m => new MethodMetrics(
                    name, m.Name, file, Line(m.Node), CodeLines(m.Node), Complexity(m.Node))).ToList()
                : [];
            return new TypeMetrics(name, file, Line(t), CodeLines(t), members);
        }).ToList();
    }

    /// <summary>Code lines of a whole file (usings and namespace included).</summary>
    public static int CodeLines(string source) => CodeLines(Parse(source, "<source>"));

    /// <summary>Distinct lines covered by the node's tokens (trivia excluded).</summary>
    public static int CodeLines(SyntaxNode node)
    {
        var lines = new HashSet<int>();
        foreach (var token in node.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.EndOfFileToken) || token.Span.IsEmpty) continue;
            var span = token.GetLocation().GetLineSpan();
            for (int l = span.StartLinePosition.Line; l <= span.EndLinePosition.Line; l++) lines.Add(l);
        }
        return lines.Count;
    }

    /// <summary>1 + the decision points inside <paramref name="node"/>.</summary>
    public static int Complexity(SyntaxNode node) => 1 + DecisionPoints(node);

    public static int DecisionPoints(SyntaxNode node) => node.DescendantNodesAndSelf().Count(IsDecision);

    /// <summary>Totals over the named types (all types when <paramref name="typeNames"/> is null).</summary>
    public static CodeSummary Summarise(string name, IEnumerable<TypeMetrics> types, IReadOnlyCollection<string>? typeNames = null)
    {
        var chosen = types.Where(t => typeNames is null || typeNames.Contains(t.Name)).ToList();
        if (typeNames is not null)
        {
            var missing = typeNames.Where(n => chosen.All(t => t.Name != n)).ToList();
            if (missing.Count > 0) throw new ArgumentException($"component '{name}': no type named {string.Join(", ", missing)} in the sources measured");
        }
        // Nested types are measured inside their outer type's lines: count only outermost chosen types.
        var outermost = chosen.Where(t => !chosen.Any(o => o != t && o.File == t.File && t.Name.StartsWith(o.Name + ".", StringComparison.Ordinal))).ToList();
        var methods = chosen.SelectMany(t => t.Methods).ToList();
        return new CodeSummary(name, chosen.Count, outermost.Sum(t => t.CodeLines), methods.Count,
            methods.Count == 0 ? double.NaN : methods.Average(m => m.Complexity),
            methods.Count == 0 ? 0 : methods.Max(m => m.Complexity),
            methods.Sum(m => m.Complexity));
    }

    static bool IsDecision(SyntaxNode n) => n switch
    {
        IfStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax => true,
        CaseSwitchLabelSyntax or CasePatternSwitchLabelSyntax => true,
        CatchClauseSyntax or ConditionalExpressionSyntax => true,
        BinaryExpressionSyntax b => b.IsKind(SyntaxKind.LogicalAndExpression) || b.IsKind(SyntaxKind.LogicalOrExpression) || b.IsKind(SyntaxKind.CoalesceExpression),
        AssignmentExpressionSyntax a => a.IsKind(SyntaxKind.CoalesceAssignmentExpression),
        SwitchExpressionArmSyntax arm => !(arm.Pattern is DiscardPatternSyntax && arm.WhenClause is null
                                           && arm.Parent is SwitchExpressionSyntax s && s.Arms.Last() == arm),
        _ => false,
    };

    /// <summary>The measurable pieces of a member: those with a body or an expression body.</summary>
    static IEnumerable<(string Name, SyntaxNode Node)> Measurable(MemberDeclarationSyntax member)
    {
        switch (member)
        {
            case MethodDeclarationSyntax m when HasBody(m.Body, m.ExpressionBody):
                yield return (m.Identifier.Text, m);
                break;
            case ConstructorDeclarationSyntax c when HasBody(c.Body, c.ExpressionBody) || c.Initializer is not null:
                yield return (c.Identifier.Text + ".ctor", c);
                break;
            case DestructorDeclarationSyntax d when HasBody(d.Body, d.ExpressionBody):
                yield return ("~" + d.Identifier.Text, d);
                break;
            case OperatorDeclarationSyntax o when HasBody(o.Body, o.ExpressionBody):
                yield return ("operator " + o.OperatorToken.Text, o);
                break;
            case ConversionOperatorDeclarationSyntax o when HasBody(o.Body, o.ExpressionBody):
                yield return ("operator " + o.Type, o);
                break;
            case BasePropertyDeclarationSyntax p:
                string name = p switch { PropertyDeclarationSyntax pd => pd.Identifier.Text, IndexerDeclarationSyntax => "this[]", EventDeclarationSyntax e => e.Identifier.Text, _ => "?" };
                if (p is PropertyDeclarationSyntax { ExpressionBody: not null } or IndexerDeclarationSyntax { ExpressionBody: not null })
                    yield return (name, p);
                foreach (var accessor in p.AccessorList?.Accessors ?? [])
                    if (HasBody(accessor.Body, accessor.ExpressionBody))
                        yield return ($"{name}.{accessor.Keyword.Text}", accessor);
                break;
        }
    }

    static bool HasBody(BlockSyntax? body, ArrowExpressionClauseSyntax? arrow) => body is not null || arrow is not null;

    static string TypeName(BaseTypeDeclarationSyntax t)
    {
        var names = new Stack<string>();
        for (SyntaxNode? n = t; n is not null; n = n.Parent)
            if (n is BaseTypeDeclarationSyntax b) names.Push(b.Identifier.Text);
        return string.Join('.', names);
    }

    static int Line(SyntaxNode n) => n.GetLocation().GetLineSpan().StartLinePosition.Line + 1;

    static SyntaxNode Parse(string source, string file) =>
        CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path: file).GetRoot();
}

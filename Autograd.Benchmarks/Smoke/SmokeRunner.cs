using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;

namespace Autograd.Benchmarks.Smoke;

/// <summary>
/// <c>--smoke</c>: runs every benchmark case once, in process, without measuring: for each parameter combination
/// (as BenchmarkDotNet enumerates them, with the suites' own filters), a fresh instance gets its parameters, its
/// [GlobalSetup], the benchmark method twice and its [GlobalCleanup]. BenchmarkDotNet's static validators run first.
/// Fails (exit code 1) on any exception or validation error, so CI catches a broken benchmark in seconds.
/// </summary>
public static class SmokeRunner
{
    private const int InvocationsPerCase = 2;

    /// <param name="assembly">The assembly holding the benchmark classes.</param>
    /// <param name="filters">Substrings of "Type.Method"; a case runs if it matches any (all run when empty).</param>
    public static int Run(Assembly assembly, IReadOnlyList<string> filters)
    {
        var total = Stopwatch.StartNew();
        int cases = 0, failures = 0;
        foreach (var type in BenchmarkTypes(assembly))
        {
            var info = BenchmarkConverter.TypeToBenchmarks(type, DefaultConfig.Instance);
            var selected = info.BenchmarksCases.Where(c => Matches(c, filters)).ToArray();
            if (selected.Length == 0) continue;
            failures += Validate(type, info);
            foreach (var benchmark in selected)
            {
                cases++;
                var watch = Stopwatch.StartNew();
                string name = $"{type.Name}.{benchmark.Descriptor.WorkloadMethod.Name}({benchmark.Parameters.DisplayInfo})";
                try
                {
                    RunOnce(benchmark);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ok   {name}  {watch.Elapsed.TotalMilliseconds:F0} ms"));
                }
                catch (Exception e)
                {
                    failures++;
                    var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                    Console.WriteLine($"  FAIL {name}: {inner}");
                }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Smoke: {cases} benchmark cases, {failures} failures, {total.Elapsed.TotalSeconds:F1} s."));
        if (cases == 0)
        {
            Console.WriteLine("Smoke: no benchmark matched the filters.");
            return 1;
        }
        return failures == 0 ? 0 : 1;
    }

    private static IEnumerable<Type> BenchmarkTypes(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } &&
                        t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkDotNet.Attributes.BenchmarkAttribute>() is not null))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static bool Matches(BenchmarkCase benchmark, IReadOnlyList<string> filters)
    {
        if (filters.Count == 0) return true;
        string full = $"{benchmark.Descriptor.Type.FullName}.{benchmark.Descriptor.WorkloadMethod.Name}";
        return filters.Any(f => full.Contains(f, StringComparison.OrdinalIgnoreCase));
    }

    // The checks BenchmarkDotNet makes before a run that need no execution (sealed classes, baselines, params, setups…).
    private static int Validate(Type type, BenchmarkRunInfo info)
    {
        var parameters = new ValidationParameters(info.BenchmarksCases, info.Config);
        var errors = info.Config.GetValidators()
            .Where(v => v is not ExecutionValidatorBase)   // those run the benchmarks, which the smoke run does itself
            .SelectMany(v => v.Validate(parameters))
            .Where(e => e.IsCritical)
            .ToArray();
        foreach (var error in errors) Console.WriteLine($"  FAIL {type.Name}: validation: {error.Message}");
        return errors.Length;
    }

    private static void RunOnce(BenchmarkCase benchmark)
    {
        var d = benchmark.Descriptor;
        if (d.WorkloadMethod.ReturnType.IsAssignableTo(typeof(Task)) || d.WorkloadMethod.GetParameters().Length > 0)
            throw new NotSupportedException($"Smoke: {d.WorkloadMethod.Name} is async or takes [Arguments]; teach SmokeRunner to run it.");
        var instance = Activator.CreateInstance(d.Type)!;
        foreach (var p in benchmark.Parameters.Items) SetParameter(instance, p.Name, p.Value, p.IsStatic);
        d.GlobalSetupMethod?.Invoke(instance, null);
        try
        {
            for (int i = 0; i < InvocationsPerCase; i++)
            {
                d.IterationSetupMethod?.Invoke(instance, null);
                d.WorkloadMethod.Invoke(instance, null);
                d.IterationCleanupMethod?.Invoke(instance, null);
            }
        }
        finally { d.GlobalCleanupMethod?.Invoke(instance, null); }
    }

    private static void SetParameter(object instance, string name, object? value, bool isStatic)
    {
        var flags = BindingFlags.Public | (isStatic ? BindingFlags.Static : BindingFlags.Instance);
        var type = instance.GetType();
        object? target = isStatic ? null : instance;
        if (type.GetProperty(name, flags) is { } property) property.SetValue(target, value);
        else if (type.GetField(name, flags) is { } field) field.SetValue(target, value);
        else throw new MissingMemberException(type.Name, name);
    }
}

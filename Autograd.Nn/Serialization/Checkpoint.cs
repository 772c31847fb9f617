using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Autograd.Nn;

/// <summary>Where a training run stands: the next batch to train is batch <see cref="Batch"/> (0-based) of epoch <see cref="Epoch"/>.</summary>
public readonly record struct TrainingPosition(int Epoch, int Batch);

/// <summary>What <see cref="Checkpoint.Load"/> returns besides the state it copied in.</summary>
/// <param name="Position">The position given to <see cref="Checkpoint.Save"/>, or null if none was.</param>
/// <param name="Metadata">The metadata given to <see cref="Checkpoint.Save"/> (the checkpoint's own keys left out).</param>
public sealed record CheckpointInfo(TrainingPosition? Position, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// A training run in one safetensors file, so that a resumed run continues bit for bit where the saved one stood. The
/// layout flattens PyTorch's usual <c>{"model": model.state_dict(), "optimizer": optimizer.state_dict(), …}</c>:
/// <list type="bullet">
/// <item>tensors <c>model.&lt;state_dict name&gt;</c> (parameters and buffers, integer buffers as I64);</item>
/// <item>tensors <c>optimizer.state.&lt;i&gt;.&lt;name&gt;</c> for the optimizer's i-th parameter: <c>momentum_buffer</c> (Sgd),
/// <c>exp_avg</c>, <c>exp_avg_sq</c> and the rank-0 I64 <c>step</c> (Adam, AdamW), absent before the parameter's first update;</item>
/// <item>metadata <c>optimizer.type</c> and <c>optimizer.param_groups.&lt;g&gt;.&lt;key&gt;</c>: <c>params</c> (indices),
/// <c>param_names</c> (the model's names, when every parameter is the model's), <c>lr</c>, <c>initial_lr</c>,
/// <c>weight_decay</c>, <c>momentum</c>, <c>dampening</c>, <c>nesterov</c>, <c>betas</c>, <c>eps</c>;</item>
/// <item>metadata <c>scheduler.type</c>, <c>scheduler.last_epoch</c>, <c>scheduler.base_lrs</c> and the schedule's settings;</item>
/// <item>metadata <c>position.epoch</c>, <c>position.batch</c>, <c>rng.&lt;name&gt;</c> (generator states), <c>checkpoint.format</c>,
/// and the caller's own metadata.</item>
/// </list>
/// Numbers are written in round-trip form, so learning rates come back to the bit. Loading restores what changes during
/// training (tensors, state, learning rates, scheduler epoch and base rates, generators) and checks what must not
/// (optimizer and scheduler types, groups, hyperparameters, shapes): any difference is an
/// <see cref="InvalidDataException"/> listing all of them, and nothing is changed.
/// </summary>
public static class Checkpoint
{
    /// <summary>The metadata key that marks a checkpoint, and its value for this layout.</summary>
    public const string FormatKey = "checkpoint.format", FormatVersion = "autograd-checkpoint-1";

    private const string ModelPrefix = "model.", OptimizerType = "optimizer.type", SchedulerType = "scheduler.type";
    private const string EpochKey = "position.epoch", BatchKey = "position.batch", RngPrefix = "rng.";
    private static readonly string[] ReservedPrefixes = ["checkpoint.", "optimizer.", "scheduler.", "position.", RngPrefix];

    /// <summary>
    /// Writes <paramref name="model"/>'s state and, when given, the optimizer's state and settings, the scheduler's position,
    /// the training position, the generators' states (by name, e.g. a Dropout's) and <paramref name="metadata"/> to
    /// <paramref name="path"/>, atomically. <paramref name="scheduler"/> must drive <paramref name="optimizer"/>.
    /// </summary>
    public static void Save<T>(string path, Module<T> model, Optimizer<T>? optimizer = null, LrScheduler? scheduler = null,
        TrainingPosition? position = null, IReadOnlyDictionary<string, Rng>? rngs = null, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        CheckScheduler(optimizer, scheduler, "Save");
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (ReservedPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
                throw new ArgumentException($"Checkpoint.Save: metadata key '{key}' is reserved (the checkpoint's own keys start with {string.Join(", ", ReservedPrefixes)}).", nameof(metadata));
            meta[key] = value;
        }
        meta[FormatKey] = FormatVersion;
        var entries = ModuleSerialization.Entries(model, ModelPrefix, path);
        if (optimizer is not null) AddOptimizer(model, optimizer, entries, meta);
        if (scheduler is not null)
        {
            meta[SchedulerType] = SchedulerName(scheduler);
            meta["scheduler.last_epoch"] = Integer(scheduler.Epoch);
            meta["scheduler.base_lrs"] = NumberList(scheduler.BaseLearningRates);
            foreach (var (key, value) in SchedulerSettings(scheduler)) meta["scheduler." + key] = value;
        }
        if (position is { } at)
        {
            if (at.Epoch < 0 || at.Batch < 0) throw new ArgumentOutOfRangeException(nameof(position), $"Checkpoint.Save: position {at} must not be negative.");
            meta[EpochKey] = Integer(at.Epoch);
            meta[BatchKey] = Integer(at.Batch);
        }
        foreach (var (name, rng) in rngs ?? new Dictionary<string, Rng>())
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("Checkpoint.Save: a generator needs a non-empty name.", nameof(rngs));
            meta[RngPrefix + name] = (rng ?? throw new ArgumentNullException(nameof(rngs), $"Checkpoint.Save: generator '{name}' is null.")).SaveState();
        }
        SafeTensorsWriter.Write(path, entries, meta);
    }

    private static void AddOptimizer<T>(Module<T> model, Optimizer<T> optimizer, List<SafeTensorsEntry> entries, Dictionary<string, string> meta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        meta[OptimizerType] = optimizer.TypeName;
        var names = ParameterNames(model, optimizer);
        foreach (var group in optimizer.Groups)
        {
            string key = GroupKey(group.Index);
            meta[key + "params"] = NumberList(Enumerable.Range(group.FirstParameter, group.ParameterCount).Select(i => (double)i));
            if (names is not null) meta[key + "param_names"] = StringList(names.Skip(group.FirstParameter).Take(group.ParameterCount));
            meta[key + "lr"] = OptimizerGroup.Format(group.LearningRate);
            if (group.InitialLearningRate is double initial) meta[key + "initial_lr"] = OptimizerGroup.Format(initial);
            foreach (var (name, value) in FixedSettings(group)) meta[key + name] = value;
        }
        for (int i = 0; i < optimizer.Parameters.Count; i++)
        {
            if (optimizer.SaveState(i) is not { } state) continue;
            var shape = optimizer.Parameters[i].Shape;
            foreach (var (name, values) in state.Arrays) entries.Add(SafeTensorsEntry.Of(StateKey(i, name), values, shape));
            foreach (var (name, count) in state.Counters) entries.Add(SafeTensorsEntry.Of(StateKey(i, name), new[] { count }, Shape.Scalar));
        }
    }

    /// <summary>
    /// Copies a checkpoint written by <see cref="Save"/> into <paramref name="model"/> and, when given, the optimizer,
    /// scheduler and generators (each must have been saved), and returns the training position and the caller's
    /// metadata. The optimizer and scheduler must be built as in the saved run (same types, groups and settings);
    /// state the caller does not ask for (an optimizer when only the model is loaded) is ignored.
    /// </summary>
    public static CheckpointInfo Load<T>(string path, Module<T> model, Optimizer<T>? optimizer = null, LrScheduler? scheduler = null,
        IReadOnlyDictionary<string, Rng>? rngs = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckScheduler(optimizer, scheduler, "Load");
        using var stream = SafeTensors.OpenRead(path);
        var header = SafeTensorsHeader.Read(stream, path);
        var meta = header.Metadata;
        if (!meta.TryGetValue(FormatKey, out var format) || format != FormatVersion)
            throw new InvalidDataException($"Checkpoint.Load '{path}': not a checkpoint of this library (metadata '{FormatKey}' is " +
                (format is null ? "missing" : $"'{format}'") + $", expected '{FormatVersion}'); a model file loads with Module.Load.");

        var mismatch = new StateMismatch(header);
        var read = new MetadataReader(meta, mismatch);
        var modelTargets = ModuleSerialization.Targets(model, ModelPrefix);
        mismatch.Check(modelTargets, "the model");
        var optimizerRestore = optimizer is null ? null : OptimizerRestore<T>.Check(model, optimizer, stream, header, mismatch, read, path);
        foreach (var tensor in header.Tensors)
            if (optimizer is null && tensor.Name.StartsWith("optimizer.", StringComparison.Ordinal)) mismatch.Claim(tensor.Name);   // not asked for
        var schedulerRestore = scheduler is null ? null : CheckScheduler(scheduler, read);
        var rngStates = new List<(Rng Rng, string State)>();
        foreach (var (name, rng) in rngs ?? new Dictionary<string, Rng>())
        {
            if (read.Text(RngPrefix + name) is not { } state) continue;
            try { new Rng(0).RestoreState(state); rngStates.Add((rng, state)); }
            catch (ArgumentException e) { mismatch.Problem($"metadata '{RngPrefix + name}': {e.Message}"); }
        }
        TrainingPosition? position = null;
        if (meta.ContainsKey(EpochKey) || meta.ContainsKey(BatchKey))
            if (read.Integer(EpochKey) is int epoch && read.Integer(BatchKey) is int batch) position = new TrainingPosition(epoch, batch);
        mismatch.ThrowIfAny($"Checkpoint.Load '{path}': the checkpoint does not match what it is loaded into; nothing was loaded:");

        // Everything is read before anything is copied, so an I/O error cannot leave the run half restored.
        var commits = modelTargets.ConvertAll(t => t.Stage(stream, header, mismatch.InfoOf(t), path));
        if (optimizerRestore is not null) commits.Add(optimizerRestore.Stage(stream, header, path));
        if (schedulerRestore is not null) commits.Add(schedulerRestore);
        foreach (var (rng, state) in rngStates) commits.Add(() => rng.RestoreState(state));
        foreach (var commit in commits) commit();

        var userMetadata = meta.Where(kv => kv.Key != FormatKey && !ReservedPrefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new CheckpointInfo(position, userMetadata);
    }

    /// <summary>Checks the optimizer part of a checkpoint and, once nothing differs, reads and restores it.</summary>
    private sealed class OptimizerRestore<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Optimizer<T> _optimizer;
        private readonly (double Rate, double? Initial)[] _rates;
        private readonly SafeTensorInfo[]?[] _arrays;          // per parameter: the file's arrays in StateNamesOf order; null = no state
        private readonly Dictionary<string, long>?[] _counters;

        private OptimizerRestore(Optimizer<T> optimizer)
        {
            _optimizer = optimizer;
            _rates = new (double, double?)[optimizer.Groups.Count];
            _arrays = new SafeTensorInfo[]?[optimizer.Parameters.Count];
            _counters = new Dictionary<string, long>?[optimizer.Parameters.Count];
        }

        public static OptimizerRestore<T>? Check(Module<T> model, Optimizer<T> optimizer, Stream stream, SafeTensorsHeader header,
            StateMismatch mismatch, MetadataReader read, string path)
        {
            if (!read.Has(OptimizerType)) { mismatch.Problem("the checkpoint holds no optimizer (it was saved without one)"); return null; }
            if (read.Text(OptimizerType) is { } type && type != optimizer.TypeName)
                mismatch.Problem($"the optimizer is {type} in the checkpoint but {optimizer.TypeName} here");
            var restore = new OptimizerRestore<T>(optimizer);
            int fileGroups = 0;
            while (read.Has(GroupKey(fileGroups) + "params")) fileGroups++;
            if (fileGroups != optimizer.Groups.Count)
            {
                mismatch.Problem($"the checkpoint has {fileGroups} parameter groups, the optimizer {optimizer.Groups.Count}");
                return null;
            }
            var names = ParameterNames(model, optimizer);
            foreach (var group in optimizer.Groups) restore.CheckGroup(group, names, read, mismatch);
            for (int i = 0; i < optimizer.Parameters.Count; i++) restore.CheckState(i, stream, header, mismatch, path);
            return restore;
        }

        private void CheckGroup(OptimizerGroup group, string[]? names, MetadataReader read, StateMismatch mismatch)
        {
            string key = GroupKey(group.Index);
            var indices = Enumerable.Range(group.FirstParameter, group.ParameterCount).Select(i => (double)i).ToArray();
            if (read.Numbers(key + "params") is { } saved && !saved.SequenceEqual(indices))
                mismatch.Problem($"parameter group {group.Index} holds parameters {NumberList(saved)} in the checkpoint but {NumberList(indices)} in the optimizer");
            if (names is not null && read.Has(key + "param_names") && read.Strings(key + "param_names") is { } savedNames)
            {
                var current = names.Skip(group.FirstParameter).Take(group.ParameterCount).ToArray();
                if (!savedNames.SequenceEqual(current))
                    mismatch.Problem($"parameter group {group.Index} optimizes {StringList(savedNames)} in the checkpoint but {StringList(current)} here");
            }
            foreach (var (name, value) in FixedSettings(group))
                if (read.Text(key + name) is { } savedValue && savedValue != value)
                    mismatch.Problem($"'{key + name}' is {savedValue} in the checkpoint but {value} in the optimizer; resuming needs the same settings");
            double? rate = read.Rate(key + "lr");
            double? initial = read.Has(key + "initial_lr") ? read.Rate(key + "initial_lr") : null;
            if (rate is double r) _rates[group.Index] = (r, initial);
        }

        private void CheckState(int index, Stream stream, SafeTensorsHeader header, StateMismatch mismatch, string path)
        {
            var expected = _optimizer.StateNamesOf(index);
            var arrays = expected.Arrays.Select(n => mismatch.Claim(StateKey(index, n))).ToArray();
            var counters = expected.Counters.Select(n => mismatch.Claim(StateKey(index, n))).ToArray();
            int present = arrays.Count(a => a is not null) + counters.Count(c => c is not null);
            if (present == 0) return;
            if (present < arrays.Length + counters.Length)
            {
                var missing = expected.Arrays.Where((_, k) => arrays[k] is null).Concat(expected.Counters.Where((_, k) => counters[k] is null));
                mismatch.Problem($"optimizer.state.{index} lacks {string.Join(", ", missing)} ({_optimizer.TypeName} keeps all of {string.Join(", ", expected.Arrays.Concat(expected.Counters))} or none)");
                return;
            }
            var shape = _optimizer.Parameters[index].Shape;
            string dtype = SafeTensors.DTypeOf<T>();
            bool valid = true;
            foreach (var info in arrays)
                if (!info!.Shape.AsSpan().SequenceEqual(shape.Dimensions) || info.DType != dtype)
                {
                    mismatch.Problem($"'{info.Name}' is {info.DType} [{string.Join(", ", info.Shape)}] in the checkpoint but the parameter is {dtype} {shape}");
                    valid = false;
                }
            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int k = 0; k < counters.Length; k++)
            {
                var info = counters[k]!;
                if (info.DType != "I64" || info.Shape.Length != 0)
                {
                    mismatch.Problem($"'{info.Name}' is {info.DType} [{string.Join(", ", info.Shape)}] in the checkpoint; a counter is a rank-0 I64");
                    valid = false;
                    continue;
                }
                long count = LoadTarget.ReadArray<long>(stream, header, info, path)[0];
                if (count < 1) { mismatch.Problem($"'{info.Name}' is {count}; a saved counter is at least 1"); valid = false; }
                values[expected.Counters[k]] = count;
            }
            if (!valid) return;
            _arrays[index] = arrays!;
            _counters[index] = values;
        }

        public Action Stage(Stream stream, SafeTensorsHeader header, string path)
        {
            var states = new ParameterState<T>?[_arrays.Length];
            for (int i = 0; i < states.Length; i++)
            {
                if (_arrays[i] is not { } arrays) continue;
                var state = states[i] = new ParameterState<T>();
                var names = _optimizer.StateNamesOf(i).Arrays;
                for (int k = 0; k < arrays.Length; k++) state.Arrays[names[k]] = LoadTarget.ReadArray<T>(stream, header, arrays[k], path);
                foreach (var (name, count) in _counters[i]!) state.Counters[name] = count;
            }
            return () =>
            {
                for (int i = 0; i < states.Length; i++) _optimizer.LoadState(i, states[i]);
                foreach (var group in _optimizer.Groups)
                {
                    group.LearningRate = _rates[group.Index].Rate;
                    group.InitialLearningRate = _rates[group.Index].Initial;
                }
            };
        }
    }

    private static Action? CheckScheduler(LrScheduler scheduler, MetadataReader read)
    {
        if (!read.Has(SchedulerType)) { read.Mismatch.Problem("the checkpoint holds no scheduler (it was saved without one)"); return null; }
        if (read.Text(SchedulerType) is { } type && type != SchedulerName(scheduler))
            read.Mismatch.Problem($"the scheduler is {type} in the checkpoint but {SchedulerName(scheduler)} here");
        foreach (var (name, value) in SchedulerSettings(scheduler))
            if (read.Text("scheduler." + name) is { } saved && saved != value)
                read.Mismatch.Problem($"'scheduler.{name}' is {saved} in the checkpoint but {value} in the scheduler; resuming needs the same settings");
        var epoch = read.Integer("scheduler.last_epoch");
        var baseRates = read.Numbers("scheduler.base_lrs");
        if (baseRates is not null && baseRates.Length != scheduler.BaseLearningRates.Count)
        {
            read.Mismatch.Problem($"'scheduler.base_lrs' holds {baseRates.Length} rates but the optimizer has {scheduler.BaseLearningRates.Count} groups");
            return null;
        }
        if (baseRates is not null && baseRates.Any(r => !(r >= 0) || double.IsInfinity(r)))
        {
            read.Mismatch.Problem($"'scheduler.base_lrs' is {NumberList(baseRates)}; rates are finite and ≥ 0");
            return null;
        }
        return epoch is int e && baseRates is not null ? () => scheduler.Restore(e, baseRates) : null;
    }

    private static void CheckScheduler(Optimizer? optimizer, LrScheduler? scheduler, string op)
    {
        if (scheduler is not null && !ReferenceEquals(scheduler.Optimizer, optimizer))
            throw new ArgumentException(optimizer is null
                ? $"Checkpoint.{op}: a scheduler is saved and loaded with its optimizer; pass the optimizer too."
                : $"Checkpoint.{op}: the scheduler drives another optimizer than the one given.", nameof(scheduler));
    }

    /// <summary>The model's name of each optimizer parameter, or null when some parameter is not the model's.</summary>
    private static string[]? ParameterNames<T>(Module<T> model, Optimizer<T> optimizer) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var byTensor = new Dictionary<Tensor<T>, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters()) byTensor[p] = name;
        var names = new string[optimizer.Parameters.Count];
        for (int i = 0; i < names.Length; i++)
            if (!byTensor.TryGetValue(optimizer.Parameters[i], out names[i]!)) return null;
        return names;
    }

    private static SortedDictionary<string, string> FixedSettings(OptimizerGroup group)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        group.AddFixedSettings(settings);
        return settings;
    }

    private static SortedDictionary<string, string> SchedulerSettings(LrScheduler scheduler)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        scheduler.AddSettings(settings);
        return settings;
    }

    private static string SchedulerName(LrScheduler scheduler) => scheduler.GetType().Name.Split('`')[0];
    private static string GroupKey(int group) => $"optimizer.param_groups.{group}.";
    private static string StateKey(int parameter, string name) => $"optimizer.state.{parameter}.{name}";
    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);
    private static string NumberList(IEnumerable<double> values) => "[" + string.Join(", ", values.Select(OptimizerGroup.Format)) + "]";

    private static string StringList(IEnumerable<string> values)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var v in values) json.WriteStringValue(v);
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads checkpoint metadata, recording a problem (and returning null) for a key that is missing or malformed.</summary>
    private sealed class MetadataReader(IReadOnlyDictionary<string, string> metadata, StateMismatch mismatch)
    {
        public StateMismatch Mismatch => mismatch;

        public bool Has(string key) => metadata.ContainsKey(key);

        public string? Text(string key)
        {
            if (metadata.TryGetValue(key, out var value)) return value;
            mismatch.Problem($"metadata '{key}' is missing");
            return null;
        }

        public int? Integer(string key)
        {
            if (Text(key) is not { } text) return null;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)) return value;
            mismatch.Problem($"metadata '{key}' is '{text}', not a non-negative integer");
            return null;
        }

        public double? Rate(string key)
        {
            if (Text(key) is not { } text) return null;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && double.IsFinite(value)) return value;
            mismatch.Problem($"metadata '{key}' is '{text}', not a finite learning rate ≥ 0");
            return null;
        }

        public double[]? Numbers(string key) => List(key, JsonValueKind.Number, e => e.GetDouble());

        public string[]? Strings(string key) => List(key, JsonValueKind.String, e => e.GetString()!);

        private TItem[]? List<TItem>(string key, JsonValueKind kind, Func<JsonElement, TItem> item)
        {
            if (Text(key) is not { } text) return null;
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind == JsonValueKind.Array && document.RootElement.EnumerateArray().All(e => e.ValueKind == kind))
                    return document.RootElement.EnumerateArray().Select(item).ToArray();
            }
            catch (JsonException) { }
            mismatch.Problem($"metadata '{key}' is '{text}', not a JSON list of {(kind == JsonValueKind.Number ? "numbers" : "strings")}");
            return null;
        }
    }
}

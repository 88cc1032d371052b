using Microsoft.AspNetCore.Components;
using ProfileStudio.Core.Identity;

namespace ProfileStudio.Components.Identity.Simulator;

/// <summary>
/// Identity › Simulator: runs pasted or example messages through the identity rules in memory
/// (<see cref="RuleSimulator"/>), under the saved rules or edited copies of them. Reads the saved
/// rules; writes nothing.
/// </summary>
public sealed partial class SimulatorPage
{
    private string _input = SimulatorExamples.SharedDevice.Messages;
    private SimulatorExample? _example = SimulatorExamples.SharedDevice;
    private SimulatorRulesDraft? _draft;
    private IdentityRules? _savedRules;
    private IReadOnlyList<string> _ruleProblems = [];
    private SimulationResult? _result;
    private SimulationResult? _savedResult;
    private bool _ranEdited;
    private bool _stale;

    [Inject] private IdentityRulesStore Rules { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _savedRules = await Rules.LoadAsync();
        _draft = new SimulatorRulesDraft(await Rules.ListAsync(), _savedRules.MaxIdentitiesPerProfile);
    }

    private void Simulate()
    {
        if (_draft is null || _savedRules is null)
        {
            return;
        }
        var now = Time.GetUtcNow().UtcDateTime;
        _ranEdited = _draft.IsEdited;
        _stale = false;
        if (!_ranEdited)
        {
            _ruleProblems = [];
            _result = RuleSimulator.Simulate(_input, _savedRules, now);
            _savedResult = null;
            return;
        }
        var (edited, problems) = _draft.Build();
        _ruleProblems = problems;
        if (edited is null)
        {
            _result = _savedResult = null;
            return;
        }
        _result = RuleSimulator.Simulate(_input, edited, now);
        _savedResult = RuleSimulator.Simulate(_input, _savedRules, now);
    }

    private void Pick(SimulatorExample example)
    {
        _example = example;
        _input = example.Messages;
        Simulate();
    }

    private void OnInputChanged(string value)
    {
        _input = value ?? "";
        _example = SimulatorExamples.All.FirstOrDefault(e => e.Messages == _input);
        _stale = _result is not null;
    }

    private void OnRulesChanged()
    {
        _ruleProblems = _draft?.IsEdited == true ? _draft.Build().Problems : [];
        _stale = _result is not null;
    }

    private void Clear()
    {
        _input = "";
        _example = null;
        _result = _savedResult = null;
        _stale = false;
    }
}

using Bunit;
using ProfileStudio.Components.Admin.Users;
using ProfileStudio.Core.Accounts;

namespace ProfileStudio.Tests.Components.Admin.Users;

public sealed class RoleChooserTests : StudioBunitContext
{
    private IReadOnlyCollection<string>? _raised;

    private IRenderedComponent<RoleChooser> RenderWith(params string[] selected) =>
        Render<RoleChooser>(p => p
            .Add(c => c.Selected, selected)
            .Add(c => c.SelectedChanged, (IReadOnlyCollection<string> roles) => _raised = roles));

    [Fact]
    public void Render_Selected_ChecksExactlyThoseRoles()
    {
        var cut = RenderWith(Roles.Marketer, Roles.Support);

        var checkedRoles = Roles.All.Where(r => cut.Find($"[data-testid=role-{r}]").HasAttribute("checked"));

        Assert.Equal([Roles.Marketer, Roles.Support], checkedRoles);
    }

    [Fact]
    public void Render_EveryRole_IsOfferedWithItsDescription()
    {
        var cut = RenderWith();

        Assert.All(Roles.All, r => Assert.Contains(Roles.Describe(r), cut.Markup));
        Assert.Equal(Roles.All.Count, cut.FindAll("input[type=checkbox]").Count);
    }

    [Fact]
    public void Change_CheckAnUnselectedRole_RaisesSelectedChangedWithItAdded()
    {
        var cut = RenderWith(Roles.Marketer);

        cut.Find($"[data-testid=role-{Roles.Support}]").Change(true);

        Assert.NotNull(_raised);
        Assert.Equal([Roles.Marketer, Roles.Support], _raised.Order());
    }

    [Fact]
    public void Change_UncheckASelectedRole_RaisesSelectedChangedWithItRemoved()
    {
        var cut = RenderWith(Roles.Marketer, Roles.Admin);

        cut.Find($"[data-testid=role-{Roles.Marketer}]").Change(false);

        Assert.NotNull(_raised);
        Assert.Equal([Roles.Admin], _raised);
    }
}

using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.JSInterop;
using RouteData = Microsoft.AspNetCore.Components.RouteData;

namespace RegistrationPortal.Web.Components.Shared;

/// <summary>
/// Gives the page's heading the focus when the router shows another page, so a screen reader starts there, without
/// taking the focus from a person who already chose a place on the page. A page is prerendered and usable before its
/// circuit connects, and the framework's <see cref="FocusOnNavigate"/> focuses the heading again on the circuit's
/// first render: that call can land while the person is typing into a search box and swallow the rest of what they
/// type (on a busy server, after an in-circuit navigation too). <c>portal.focusHeading</c> leaves such a choice
/// alone. Without a circuit (the account pages) the framework's component does the work.
/// </summary>
public sealed class FocusHeadingOnNavigate : ComponentBase
{
    private Type? _shownPage;
    private bool _focusPending;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired]
    public RouteData RouteData { get; set; } = default!;

    [Parameter]
    public string Selector { get; set; } = "h1";

    protected override void OnParametersSet()
    {
        if (RouteData.PageType != _shownPage)
        {
            _shownPage = RouteData.PageType;
            _focusPending = true;
        }
    }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        if (!RendererInfo.IsInteractive)
        {
            builder.OpenComponent<FocusOnNavigate>(0);
            builder.AddComponentParameter(1, nameof(FocusOnNavigate.RouteData), RouteData);
            builder.AddComponentParameter(2, nameof(FocusOnNavigate.Selector), Selector);
            builder.CloseComponent();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!_focusPending)
        {
            return;
        }

        _focusPending = false;
        try
        {
            await JS.InvokeAsync<bool>("portal.focusHeading", Selector, firstRender);
        }
        catch (JSDisconnectedException)
        {
            // The browser left: there is nothing to focus.
        }
    }
}

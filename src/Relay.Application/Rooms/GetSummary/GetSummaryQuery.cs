using Mediator;
using Relay.Application.Common.Results;

namespace Relay.Application.Rooms.GetSummary;

/// <summary>`GET /v1/api/summary`: totals over every room.</summary>
public sealed record GetSummaryQuery : IQuery<Result<Summary>>;

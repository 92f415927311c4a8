<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Monthly meetings calendar - Kelderby Metropolitan Borough Council</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; margin: 0; color: #222; }
#header { background: #1d3f5e; color: #fff; padding: 14px 24px; }
#header .councilName { font-size: 1.4em; font-weight: bold; margin: 0; }
#breadcrumb { padding: 6px 24px; background: #eef2f5; font-size: 0.9em; }
#modgov { padding: 12px 24px 30px; max-width: 960px; }
.mgMainTitleTxt { color: #1d3f5e; }
.mgAiTitleTxt { font-weight: bold; margin-bottom: 4px; }
.mgSubItemTitleTxt { font-weight: bold; font-style: italic; margin: 6px 0 2px; }
ul.mgAgendaList > li { list-style: none; border-top: 1px solid #ccd; padding: 6px 0; }
#footer { padding: 12px 24px; font-size: 0.8em; color: #555; border-top: 1px solid #ccd; }
table.mgCalendarMonthGrid { border-collapse: collapse; width: 100%; }
table.mgCalendarMonthGrid th, table.mgCalendarMonthGrid td { border: 1px solid #ccd; padding: 6px; text-align: left; vertical-align: top; }
.mgCalendarDayTxt { font-weight: bold; }
</style>
</head>
<body>
<div id="header"><p class="councilName">Kelderby Metropolitan Borough Council</p><p>Councillors, committees and meetings</p></div>
<div id="breadcrumb"><a href="mgListCommittees.aspx">Committees</a> &gt; Meetings calendar</div>
<div id="modgov">
<div class="mgContent">
<h1 class="mgMainTitleTxt">Monthly meetings calendar</h1>
<form method="get" action="mgCalendarMonthView.aspx" class="mgCalendarForm">
<p>Weekly view | <strong>Monthly view</strong> | Show all</p>
<input type="hidden" name="CID" value="0"><input type="hidden" name="OT" value=""><input type="hidden" name="C" value="-1"><input type="hidden" name="MR" value="0"><input type="hidden" name="DL" value="0">
<input type="submit" name="ACT" value="Go">
</form>
<p>This page shows the meetings of all committees this month. Select a meeting to see its agenda and minutes.</p>
<table class="mgCalendarMonthGrid" summary="Meetings this month">
<thead><tr><th scope="col">Date</th><th scope="col">Meeting</th><th scope="col">Venue</th></tr></thead>
<tbody>
<tr class="mgCalendarRow">
<td class="mgCalendarCell"><span class="mgCalendarDayTxt">@RECENT:30:human@</span></td>
<td class="mgCalendarCell"><a class="mgCalendarCellTxt" href="ieListDocuments.aspx?CId=130&amp;MId=2001&amp;Ver=4" title="Cabinet, @RECENT:30:mg@">Cabinet</a></td>
<td class="mgCalendarCell">Council Chamber, Town Hall</td>
</tr>
<tr class="mgCalendarRow">
<td class="mgCalendarCell"><span class="mgCalendarDayTxt">@RECENT:18:human@</span></td>
<td class="mgCalendarCell"><a class="mgCalendarCellTxt" href="ieListDocuments.aspx?CId=132&amp;MId=2005&amp;Ver=4" title="Overview and Scrutiny Committee, @RECENT:18:mg@">Overview and Scrutiny Committee</a></td>
<td class="mgCalendarCell">Committee Room 1, Town Hall</td>
</tr>
<tr class="mgCalendarRow">
<td class="mgCalendarCell"><span class="mgCalendarDayTxt">@RECENT:6:human@</span></td>
<td class="mgCalendarCell"><a class="mgCalendarCellTxt" href="ieListDocuments.aspx?CId=131&amp;MId=2003&amp;Ver=4" title="Council, @RECENT:6:mg@">Council</a></td>
<td class="mgCalendarCell">Council Chamber, Town Hall</td>
</tr>
</tbody>
</table>
</div>
</div>
<div id="footer"><p>Powered by Modern.Gov. Copyright &copy; Kelderby Metropolitan Borough Council.</p></div>
</body>
</html>

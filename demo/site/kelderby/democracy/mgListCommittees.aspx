<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Committee structure - Kelderby Metropolitan Borough Council</title>
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
</style>
</head>
<body>
<div id="header"><p class="councilName">Kelderby Metropolitan Borough Council</p><p>Councillors, committees and meetings</p></div>
<div id="breadcrumb"><a href="mgListCommittees.aspx">Committees</a> &gt; Committee structure</div>
<div id="modgov">
<div class="mgContent">
<h1 class="mgMainTitleTxt">Committee structure</h1>
<p>The committees of Kelderby Metropolitan Borough Council are listed below. Select a committee to see its membership and meetings.</p>
<ul class="mgBulletList">
<li><a href="mgCommitteeDetails.aspx?ID=130" title="Link to committee details">Cabinet</a></li>
<li><a href="mgCommitteeDetails.aspx?ID=131" title="Link to committee details">Council</a></li>
</ul>
</div>
</div>
<div id="footer"><p>Powered by Modern.Gov. Copyright &copy; Kelderby Metropolitan Borough Council.</p></div>
</body>
</html>

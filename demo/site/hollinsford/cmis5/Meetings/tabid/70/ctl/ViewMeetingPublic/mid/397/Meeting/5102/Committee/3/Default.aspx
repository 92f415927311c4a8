<!DOCTYPE html>
<html lang="en-GB">
<head id="Head">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Council - Meeting - Hollinsford Borough Council</title>
<meta name="GENERATOR" content="DotNetNuke">
<style>
body { font-family: Verdana, Arial, sans-serif; margin: 0; color: #222; font-size: 0.9em; }
#dnn_Header { background: #5b2a57; color: #fff; padding: 12px 24px; }
#dnn_Header a { color: #fff; }
#dnn_dnnBREADCRUMB { padding: 6px 24px; background: #f1ecf0; }
#dnn_ContentPane { padding: 12px 24px 30px; max-width: 980px; }
.holder { display: flex; gap: 1em; } .DNNLabel { font-weight: bold; min-width: 9em; }
li.DocumentListItem { list-style: none; margin: 4px 0; }
.rgMasterTable td { padding: 4px 10px; border-bottom: 1px solid #ddd; }
</style>
</head>
<body id="Body">
<form method="post" action="/hollinsford/cmis5/Committees.aspx" id="Form" enctype="multipart/form-data">
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRkHc1xq9mV0pXe3Lw8cRk2nV7eGQo=">
<input type="hidden" name="dnn$ctr397$MeetingCalendarPublic$hidden" value="">
</div>
<div id="dnn_Header">
  <p class="CouncilName"><strong>Hollinsford Borough Council</strong> &mdash; Councillors, committees and meetings</p>
  <ul id="dnn_dnnNAV" class="TopMenu">
    <li><a href="@BASE@/hollinsford/index.html">Council website</a></li>
    <li><a href="@BASE@/hollinsford/cmis5/Committees.aspx">Committees</a></li>
  </ul>
</div>
<div id="dnn_dnnBREADCRUMB"><a href="@BASE@/hollinsford/index.html" class="Breadcrumb">Home</a> &gt; <a href="@BASE@/hollinsford/cmis5/Committees.aspx" class="Breadcrumb">Committees</a> &gt; <a href="@BASE@/hollinsford/cmis5/Committees/tabid/62/ctl/ViewCMIS_CommitteeDetails/mid/381/id/3/Default.aspx" class="Breadcrumb">Council</a> &gt; <span class="Breadcrumb">Meeting</span></div>
<div id="dnn_ContentPane" class="contentPane">
<div class="DnnModule DnnModule-CMIS DnnModule-397"><a name="397"></a>
<div id="dnn_ctr397_ContentPane">
<h1 class="Title">Council - @OLD:40:human@</h1>
<div class="MeetingSummary">
<h2 class="SubTitle">Meeting Summary</h2>
<div class="holder"><div class="DNNLabel">Committee:</div><div class="Value Venue">Council</div></div>
<div class="holder"><div class="DNNLabel">Date:</div><div class="Value">@OLD:40:human@</div></div>
<div class="holder"><div class="DNNLabel">Time:</div><div class="Value">7.00 pm</div></div>
<div class="holder"><div class="DNNLabel">Venue:</div><div class="Value Venue">Council Chamber, Hollinsford Civic Centre</div></div>
<div class="holder"><div class="DNNLabel">Status:</div><div class="Value Venue">Completed</div></div>
</div>
<div class="MeetingDocuments">
<h2 class="SubTitle">Documents</h2>
<ul class="DocumentList">
<li class="DocumentListItem"><a class="TitleLink" href="@BASE@/hollinsford/cmis5/Document.ashx?czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=cC4davDsREymZzoU8nDX7rnx5xrbw0aRFvKyQQbV4iOmSpnXJzjdO9Kn" target="_blank">Printed Minutes, Council, @OLD:40:human@</a> <span class="DocumentSize">PDF 5 KB</span></li>
</ul>
</div>
<div class="AgendaItems">
<h2 class="SubTitle">Agenda</h2>
<div class="AgendaItem"><span class="AgendaItemNumber">48.</span> <span class="AgendaItemTitle">Apologies for absence</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">49.</span> <span class="AgendaItemTitle">Declarations of interest</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">50.</span> <span class="AgendaItemTitle">Minutes of the previous meeting</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">51.</span> <span class="AgendaItemTitle">Mayor's announcements</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">52.</span> <span class="AgendaItemTitle">Public questions</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">53.</span> <span class="AgendaItemTitle">Annual Report of the Overview and Scrutiny Committee</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">54.</span> <span class="AgendaItemTitle">Council Tax Reduction Scheme</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">55.</span> <span class="AgendaItemTitle">Polling districts and polling places review</span></div>
<div class="AgendaItem"><span class="AgendaItemNumber">56.</span> <span class="AgendaItemTitle">Notice of motion: Canal towpath improvements</span></div>
</div>
</div>
</div>
</div>
<div id="dnn_Footer"><p>Powered by CMIS. Copyright &copy; Hollinsford Borough Council. <a href="@BASE@/hollinsford/contact-us.html">Contact Democratic Services</a></p></div>
</form>
</body>
</html>

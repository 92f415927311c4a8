<!DOCTYPE html>
<html lang="en-GB">
<head id="Head">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cabinet - Minutes - Hollinsford Borough Council</title>
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
<div id="dnn_dnnBREADCRUMB"><a href="@BASE@/hollinsford/index.html" class="Breadcrumb">Home</a> &gt; <a href="@BASE@/hollinsford/cmis5/Committees.aspx" class="Breadcrumb">Committees</a> &gt; <a href="@BASE@/hollinsford/cmis5/Committees/tabid/62/ctl/ViewCMIS_CommitteeDetails/mid/381/id/4/Default.aspx" class="Breadcrumb">Cabinet</a> &gt; <a href="@BASE@/hollinsford/cmis5/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/5104/Committee/4/Default.aspx" class="Breadcrumb">Meeting</a> &gt; <span class="Breadcrumb">Minutes</span></div>
<div id="dnn_ContentPane" class="contentPane">
<div class="DnnModule DnnModule-CMIS DnnModule-397"><a name="397"></a>
<div id="dnn_ctr397_ContentPane">
<h1 class="Title">Cabinet - @OLD:20:human@</h1>
<ul class="MeetingTabs"><li><a href="@BASE@/hollinsford/cmis5/Meetings/tabid/70/ctl/ViewMeetingPublic/mid/397/Meeting/5104/Committee/4/Default.aspx">Summary</a></li><li class="SelectedTab">Minutes</li></ul>
<div class="MinutesContent">
<h2 class="SubTitle">Minutes</h2>
<p class="MinutesIntro">Minutes of the meeting of the Cabinet held in Committee Room 1, Hollinsford Civic Centre, on @OLD:20:human@ at 6.00 pm.</p>
<p class="MinutesAttendance">Present: Councillors Marigold Ashcombe (Leader) (in the Chair), Ferdinand Hollowell, Clemency Yardley, Philippa Wrenfield and Leofric Dunsmore.</p>
<div class="MinutesItem"><h2 class="AgendaItemTitle">22. Apologies for absence</h2>
<p class="AgendaItemText">Apologies for absence were received from Councillor Barnaby Stourton.</p>
</div>
<div class="MinutesItem"><h2 class="AgendaItemTitle">23. Declarations of interest</h2>
<p class="AgendaItemText">Councillor Wrenfield declared a non-pecuniary interest in minute 25 as a member of the Hollinsford Business Improvement District board.</p>
</div>
<div class="MinutesItem"><h2 class="AgendaItemTitle">24. Minutes of the previous meeting</h2>
<p class="AgendaItemText">RESOLVED: That the minutes of the meeting held on the previous occasion be approved as a correct record.</p>
</div>
<div class="MinutesItem"><h2 class="AgendaItemTitle">25. Town Centre Masterplan - adoption</h2>
<p class="AgendaItemText">The Cabinet Member for Regeneration presented the final Town Centre Masterplan following public consultation, in which 1,240 responses had been received. Changes had been made to increase green space at Wharf Square and to retain the Saturday market on Priory Street.</p>
<p class="AgendaItemText">RESOLVED: That the Town Centre Masterplan be adopted as a material consideration for planning purposes.</p>
</div>
<div class="MinutesItem"><h2 class="AgendaItemTitle">26. Housing repairs and maintenance contract - procurement</h2>
<p class="AgendaItemText">The Cabinet Member for Housing reported that the current repairs contract expires in eighteen months. Tenants' representatives had helped draw up the specification, which includes a target of 95 per cent of emergency repairs completed within 24 hours.</p>
<p class="AgendaItemText">RESOLVED: That a procurement for a new seven-year housing repairs and maintenance contract be started, with the award to be brought back to Cabinet.</p>
</div>
<div class="MinutesItem"><h2 class="AgendaItemTitle">27. Quarter 2 performance report</h2>
<p class="AgendaItemText">The Cabinet noted the performance report for the second quarter. 24 of the 30 indicators were on target. Missed bin collections were at their lowest level for five years; the average time to process new benefit claims had increased to 21 days and an improvement plan was in place.</p>
<p class="AgendaItemText">RESOLVED: That the performance report be noted.</p>
</div>
<div class="MinutesItem"><h2 class="AgendaItemTitle">28. Fees and charges for the coming year</h2>
<p class="AgendaItemText">RESOLVED: That the fees and charges for the coming year set out in the appendix be recommended to the Council, with an average increase of 3 per cent and no increase in charges for allotments or the garden waste service.</p>
</div>
<p>The meeting closed at 7.10 pm.</p>
</div>
</div>
</div>
</div>
<div id="dnn_Footer"><p>Powered by CMIS. Copyright &copy; Hollinsford Borough Council. <a href="@BASE@/hollinsford/contact-us.html">Contact Democratic Services</a></p></div>
</form>
</body>
</html>
